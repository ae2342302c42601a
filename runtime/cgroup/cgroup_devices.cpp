#include "runtime/cgroup/cgroup_devices.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "runtime/error.hpp"
#include "runtime/fd.hpp"

namespace myrt::cgroupdev {

namespace {

spec::DeviceCgroup rule(const char* type, int64_t major, int64_t minor, const char* access) {
    spec::DeviceCgroup d;
    d.allow = true;
    d.type = type;
    if (major >= 0) d.major = major;
    if (minor >= 0) d.minor = minor;
    d.access = access;
    return d;
}

const std::vector<spec::DeviceCgroup>& default_rules() {
    static const std::vector<spec::DeviceCgroup> rules = {
        rule("c", -1, -1, "m"),  rule("b", -1, -1, "m"),   rule("c", 1, 3, "rwm"),
        rule("c", 1, 5, "rwm"),  rule("c", 1, 7, "rwm"),   rule("c", 1, 8, "rwm"),
        rule("c", 1, 9, "rwm"),  rule("c", 5, 0, "rwm"),   rule("c", 5, 1, "rwm"),
        rule("c", 5, 2, "rwm"),  rule("c", 136, -1, "rwm"),
    };
    return rules;
}

std::string type_of(const spec::DeviceCgroup& d) { return d.type.value_or("a"); }
std::string access_of(const spec::DeviceCgroup& d) { return d.access.value_or("rwm"); }

// BPF_DEVCG_ACC_* bits of an access string.
int32_t access_bits(const std::string& access) {
    int32_t bits = 0;
    for (char c : access) {
        if (c == 'm') bits |= BPF_DEVCG_ACC_MKNOD;
        if (c == 'r') bits |= BPF_DEVCG_ACC_READ;
        if (c == 'w') bits |= BPF_DEVCG_ACC_WRITE;
    }
    return bits;
}

// ---- instruction encoding (the kernel's BPF_* macros are not in the uapi headers) ----
bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    bpf_insn i{};
    i.code = code;
    i.dst_reg = dst & 0xf;
    i.src_reg = src & 0xf;
    i.off = off;
    i.imm = imm;
    return i;
}
bpf_insn load_u32(uint8_t dst, uint8_t src, int16_t off) {
    return insn(BPF_LDX | BPF_W | BPF_MEM, dst, src, off, 0);
}
bpf_insn mov_reg(uint8_t dst, uint8_t src) { return insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0); }
bpf_insn mov_imm(uint8_t dst, int32_t imm) { return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm); }
bpf_insn alu32_imm(uint8_t op, uint8_t dst, int32_t imm) { return insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm); }
bpf_insn jump_imm(uint8_t op, uint8_t dst, int32_t imm) {
    return insn(BPF_JMP | op | BPF_K, dst, 0, 0 /* patched: to the next rule */, imm);
}
bpf_insn exit_insn() { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

// Registers: r1 = ctx, r2 = device type, r3 = access bits not yet allowed, r4 = major,
// r5 = minor, r6 = scratch.
constexpr uint8_t kType = 2, kLeft = 3, kMajor = 4, kMinor = 5, kScratch = 6;

long sys_bpf(int cmd, bpf_attr& attr) { return ::syscall(SYS_bpf, cmd, &attr, sizeof attr); }

UniqueFd load(const std::vector<bpf_insn>& program) {
    static const char license[] = "Apache";
    auto attempt = [&](char* log, uint32_t size) {
        bpf_attr a{};
        a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        a.expected_attach_type = BPF_CGROUP_DEVICE;
        a.insns = reinterpret_cast<uintptr_t>(program.data());
        a.insn_cnt = static_cast<uint32_t>(program.size());
        a.license = reinterpret_cast<uintptr_t>(license);
        if (log) {
            a.log_buf = reinterpret_cast<uintptr_t>(log);
            a.log_size = size;
            a.log_level = 1;
        }
        return UniqueFd(static_cast<int>(sys_bpf(BPF_PROG_LOAD, a)));
    };
    UniqueFd fd = attempt(nullptr, 0);
    if (fd) return fd;
    int err = errno;
    std::string log(1 << 16, '\0');
    if (err == EACCES || err == EINVAL) {
        // Ask again for the verifier's reasons, to show them.
        attempt(log.data(), static_cast<uint32_t>(log.size()));
        log.resize(std::strlen(log.c_str()));
        while (!log.empty() && log.back() == '\n') log.pop_back();
        if (log.size() > 400) log = "..." + log.substr(log.size() - 400);
    } else {
        log.clear();
    }
    throw Error("load the device cgroup BPF program: " + errno_text(err) +
                    (log.empty() ? "" : " (verifier: " + log + ")"),
                err);
}

UniqueFd open_dir(const std::string& dir) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) throw_errno("open " + dir);
    return fd;
}

std::vector<uint32_t> attached(int dir_fd, const std::string& dir) {
    std::vector<uint32_t> ids(64);
    bpf_attr a{};
    a.query.target_fd = static_cast<uint32_t>(dir_fd);
    a.query.attach_type = BPF_CGROUP_DEVICE;
    a.query.prog_ids = reinterpret_cast<uintptr_t>(ids.data());
    a.query.prog_cnt = static_cast<uint32_t>(ids.size());
    if (sys_bpf(BPF_PROG_QUERY, a) < 0) throw_errno("query the device BPF programs of " + dir);
    ids.resize(std::min<size_t>(a.query.prog_cnt, ids.size()));
    return ids;
}

void detach(int dir_fd, uint32_t id, const std::string& dir) {
    bpf_attr g{};
    g.prog_id = id;
    UniqueFd prog(static_cast<int>(sys_bpf(BPF_PROG_GET_FD_BY_ID, g)));
    if (!prog) {
        if (errno == ENOENT) return;  // gone meanwhile
        throw_errno("open device BPF program " + std::to_string(id));
    }
    bpf_attr a{};
    a.target_fd = static_cast<uint32_t>(dir_fd);
    a.attach_bpf_fd = static_cast<uint32_t>(prog.get());
    a.attach_type = BPF_CGROUP_DEVICE;
    if (sys_bpf(BPF_PROG_DETACH, a) < 0 && errno != ENOENT)
        throw_errno("detach device BPF program " + std::to_string(id) + " from " + dir);
}

}  // namespace

void validate(const std::vector<spec::DeviceCgroup>& rules) {
    for (size_t i = 0; i < rules.size(); ++i) {
        std::string field = "linux.resources.devices[" + std::to_string(i) + "]";
        std::string type = type_of(rules[i]);
        if (type != "a" && type != "c" && type != "b")
            throw Error(field + ".type: \"" + type + "\" is not a, c or b", EINVAL);
        for (char c : access_of(rules[i]))
            if (c != 'r' && c != 'w' && c != 'm')
                throw Error(field + ".access: \"" + access_of(rules[i]) +
                                "\" is not a combination of r, w and m",
                            EINVAL);
        for (const auto* n : {&rules[i].major, &rules[i].minor})
            if (*n && (**n < -1 || **n > 0xffffffffLL))
                throw Error(field + ": device number " + std::to_string(**n) + " out of range",
                            EINVAL);
    }
}

std::vector<spec::DeviceCgroup> effective_rules(const std::vector<spec::DeviceCgroup>& rules) {
    std::vector<spec::DeviceCgroup> out = rules;
    if (!rules.empty()) out.insert(out.end(), default_rules().begin(), default_rules().end());
    return out;
}

std::string v1_rule(const spec::DeviceCgroup& d) {
    auto number = [](const std::optional<int64_t>& n) {
        return n && *n >= 0 ? std::to_string(*n) : std::string("*");
    };
    return type_of(d) + " " + number(d.major) + ":" + number(d.minor) + " " + access_of(d);
}

std::vector<bpf_insn> bpf_program(const std::vector<spec::DeviceCgroup>& rules) {
    std::vector<bpf_insn> p = {
        load_u32(kType, 1, offsetof(bpf_cgroup_dev_ctx, access_type)),
        mov_reg(kLeft, kType),
        alu32_imm(BPF_AND, kType, 0xffff),
        alu32_imm(BPF_RSH, kLeft, 16),
        load_u32(kMajor, 1, offsetof(bpf_cgroup_dev_ctx, major)),
        load_u32(kMinor, 1, offsetof(bpf_cgroup_dev_ctx, minor)),
    };
    // Last rule first: the first rule (from the end) that matches a bit decides it.
    for (auto it = rules.rbegin(); it != rules.rend(); ++it) {
        const auto& r = *it;
        int32_t bits = access_bits(access_of(r));
        if (bits == 0) continue;  // decides nothing
        std::vector<bpf_insn> block;
        std::string type = type_of(r);
        if (type != "a")
            block.push_back(jump_imm(BPF_JNE, kType, type == "b" ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
        // Device numbers are u32 in the context; JNE compares the 64-bit register with the
        // sign-extended immediate, so numbers >= 2^31 go through a 32-bit jump instead.
        auto match = [&](uint8_t reg, const std::optional<int64_t>& n) {
            if (!n || *n < 0) return;
            if (*n <= 0x7fffffff)
                block.push_back(jump_imm(BPF_JNE, reg, static_cast<int32_t>(*n)));
            else
                block.push_back(insn(BPF_JMP32 | BPF_JNE | BPF_K, reg, 0, 0,
                                     static_cast<int32_t>(static_cast<uint32_t>(*n))));
        };
        match(kMajor, r.major);
        match(kMinor, r.minor);
        if (r.allow) {
            // These bits are allowed; done when nothing is left to decide.
            block.push_back(alu32_imm(BPF_AND, kLeft, ~bits));
            block.push_back(jump_imm(BPF_JNE, kLeft, 0));
            block.push_back(mov_imm(0, 1));
        } else {
            // Any bit asked for and still undecided that this rule denies: denied.
            block.push_back(mov_reg(kScratch, kLeft));
            block.push_back(alu32_imm(BPF_AND, kScratch, bits));
            block.push_back(jump_imm(BPF_JEQ, kScratch, 0));
            block.push_back(mov_imm(0, 0));
        }
        block.push_back(exit_insn());
        // Every jump of the block skips to the next rule.
        for (size_t i = 0; i < block.size(); ++i)
            if (BPF_CLASS(block[i].code) == BPF_JMP || BPF_CLASS(block[i].code) == BPF_JMP32)
                if (BPF_OP(block[i].code) != BPF_EXIT)
                    block[i].off = static_cast<int16_t>(block.size() - i - 1);
        p.insert(p.end(), block.begin(), block.end());
    }
    p.push_back(mov_imm(0, 0));
    p.push_back(exit_insn());
    return p;
}

void attach_bpf(const std::string& dir, const std::vector<bpf_insn>& program) {
    UniqueFd dir_fd = open_dir(dir);
    std::vector<uint32_t> old = attached(dir_fd.get(), dir);
    UniqueFd prog = load(program);
    bpf_attr a{};
    a.target_fd = static_cast<uint32_t>(dir_fd.get());
    a.attach_bpf_fd = static_cast<uint32_t>(prog.get());
    a.attach_type = BPF_CGROUP_DEVICE;
    a.attach_flags = BPF_F_ALLOW_MULTI;
    if (sys_bpf(BPF_PROG_ATTACH, a) < 0) throw_errno("attach the device BPF program to " + dir);
    // Only now: between the two, both programs apply, and access needs both to allow it.
    for (uint32_t id : old) detach(dir_fd.get(), id, dir);
}

void detach_bpf(const std::string& dir) {
    UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir_fd) {
        if (errno == ENOENT) return;
        throw_errno("open " + dir);
    }
    for (uint32_t id : attached(dir_fd.get(), dir)) detach(dir_fd.get(), id, dir);
}

}  // namespace myrt::cgroupdev
