#include "spec/check.hpp"

#include "spec/json.hpp"

namespace myrt::spec {

namespace json {
template <class V, Is<CheckFinding> S>
void fields(V& v, S& f) {
    v.req("check", f.check);
    v.req("status", f.status);
    v.dflt("needed", f.needed);
    v.dflt("detail", f.detail);
    v.dflt("fix", f.fix);
}
}  // namespace json

std::string to_json(const CheckFinding& finding) {
    return json::serialize(false, [&](auto& w) { json::write_json(w, finding); });
}

}  // namespace myrt::spec
