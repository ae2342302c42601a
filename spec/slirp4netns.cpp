// slirp4netns's API requests and replies.
#include "spec/slirp4netns.hpp"

#include "spec/json.hpp"

namespace myrt::spec {

namespace json {

template <class V, Is<SlirpHostFwd> S>
void fields(V& v, S& f) {
    v.req("proto", f.proto);
    v.req("host_addr", f.host_addr);
    v.req("host_port", f.host_port);
    v.req("guest_port", f.guest_port);
}

namespace {

struct AddHostFwd {
    std::string execute = "add_hostfwd";
    SlirpHostFwd arguments;
};

template <class V, Is<AddHostFwd> S>
void fields(V& v, S& r) {
    v.req("execute", r.execute);
    v.req("arguments", r.arguments);
}

}  // namespace
}  // namespace json

std::string add_hostfwd_request(const SlirpHostFwd& forward) {
    return json::to_compact_utf8(json::AddHostFwd{.arguments = forward});
}

SlirpReply parse_slirp_reply(std::string_view text) {
    constexpr std::string_view label = "slirp4netns reply";
    rapidjson::Document doc;
    json::parse_document(doc, text, label);
    json::Path root(label);
    if (!doc.IsObject()) root.fail("expected object");
    SlirpReply out;
    // Only the member's presence decides: its shape is slirp4netns's business. The text of
    // a value never does ({"return":{"note":"\"error\""}} is a success).
    auto error = doc.FindMember("error");
    if (error == doc.MemberEnd()) return out;
    out.failed = true;
    if (error->value.IsObject()) {
        auto desc = error->value.FindMember("desc");
        if (desc != error->value.MemberEnd() && desc->value.IsString())
            out.desc.assign(desc->value.GetString(), desc->value.GetStringLength());
    }
    return out;
}

}  // namespace myrt::spec
