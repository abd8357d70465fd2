#!/usr/bin/python3
"""Generates C++ message codecs from Atoll's Kafka message definitions.

Input: one JSON file per API (src/kafka/protocol/defs/*.json), plus
headers.json. Output, per input file NAME.json: NAME.h and NAME.cc with a
struct per message (and nested structs) carrying encode(), decode() and
encoded_size() for every version, flexible versions with compact types and
tagged fields (known ones decoded, unknown ones kept and re-encoded).
Also api_catalog.h: every API's key, name, versions and first flexible
version, for request dispatch and ApiVersions.

Definition format (our own, see CONTRIBUTING.md):
  {"api": "metadata", "key": 3, "versions": "0-12", "flexible": "9+",
   "request": {"fields": [...]}, "response": {"fields": [...]}}
or, for messages outside any API (headers, consumer protocol), {"messages":
[{"name": ..., "versions": ..., "flexible": ..., "fields": [...]}]}. A
section (request, response or message) may list "structs": [{"name": ...,
"fields": [...]}] used by several fields. A field:
  {"name": "topics", "type": "[]topic", "versions": "0+",
   "nullable": "1+", "tag": 0, "tagged": "3+", "default": -1,
   "flexible": "none", "fields": [...]}
Types: bool int8 int16 uint16 int32 uint32 int64 float64 string bytes
records uuid, a struct name (with "fields" to define it, or defined
earlier in the same message), or []T for arrays of either.
Uses only Python's standard library.
"""

import json
import os
import sys

INT_MAX_VERSION = 32767

PRIMITIVES = {
    "bool": ("bool", "bool", "false"),
    "int8": ("int8_t", "int8", "0"),
    "int16": ("int16_t", "int16", "0"),
    "uint16": ("uint16_t", "uint16", "0"),
    "int32": ("int32_t", "int32", "0"),
    "uint32": ("uint32_t", "uint32", "0"),
    "int64": ("int64_t", "int64", "0"),
    "float64": ("double", "float64", "0"),
    "uuid": ("uuid", "uuid", None),
}
LENGTHED = {"string", "bytes", "records"}


class DefinitionError(Exception):
    pass


def parse_versions(text, what):
    """'0+', '3-5', '7', 'none' -> (lo, hi) or None."""
    if text is None:
        raise DefinitionError(f"{what}: missing versions")
    text = str(text)
    if text == "none":
        return None
    if text.endswith("+"):
        return (int(text[:-1]), INT_MAX_VERSION)
    if "-" in text:
        lo, hi = text.split("-")
        return (int(lo), int(hi))
    return (int(text), int(text))


def in_range_expr(rng, var="version"):
    if rng is None:
        return "false"
    lo, hi = rng
    parts = []
    if lo > 0:
        parts.append(f"{var} >= {lo}")
    if hi < INT_MAX_VERSION:
        parts.append(f"{var} <= {hi}")
    return " && ".join(parts) if parts else "true"


def intersect(a, b):
    if a is None or b is None:
        return None
    lo, hi = max(a[0], b[0]), min(a[1], b[1])
    return (lo, hi) if lo <= hi else None


class Field:
    def __init__(self, d, owner):
        self.name = d["name"]
        where = f"{owner}.{self.name}"
        self.type = d["type"]
        self.versions = parse_versions(d.get("versions"), where)
        self.nullable = parse_versions(d.get("nullable", "none"), where)
        self.tag = d.get("tag")
        self.tagged = parse_versions(d.get("tagged", "none"), where)
        if (self.tag is None) != (self.tagged is None):
            raise DefinitionError(f"{where}: tag and tagged go together")
        self.flexible_none = d.get("flexible") == "none"
        self.default = d.get("default")
        self.fields = d.get("fields")
        self.is_array = self.type.startswith("[]")
        self.elem = self.type[2:] if self.is_array else self.type
        self.is_struct = self.elem not in PRIMITIVES and self.elem not in LENGTHED
        if self.is_struct and self.elem != self.elem.lower():
            raise DefinitionError(f"{where}: struct names are snake_case")
        self.ever_nullable = self.nullable is not None or self.elem == "records"
        self.struct_cpp_name = self.elem  # set to the C++ name by build_message

    def elem_cpp(self):
        if self.elem in PRIMITIVES:
            return PRIMITIVES[self.elem][0]
        if self.is_struct:
            return self.struct_cpp_name
        return {"string": "std::string", "bytes": "std::vector<uint8_t>",
                "records": "base::iobuf"}[self.elem]

    def cpp_type(self):
        t = self.elem_cpp()
        if self.is_array:
            t = f"std::vector<{t}>"
        if self.ever_nullable:
            t = f"std::optional<{t}>"
        return t

    def initializer(self):
        d = self.default
        if self.ever_nullable:
            if d is None or d == "null":
                return ""
            if self.elem == "string":
                return f"{{{json.dumps(d)}}}"
            return ""
        if self.is_array or self.is_struct:
            return ""
        if self.elem == "uuid":
            return "{}"
        if self.elem == "string":
            return f"{{{json.dumps(d)}}}" if d else ""
        if self.elem == "bool":
            return "{true}" if d in (True, "true") else "{false}"
        if self.elem in PRIMITIVES and PRIMITIVES[self.elem][2] is not None:
            if d is None:
                return "{0}"
            v = int(d)
            if self.elem == "int64" and v == -(2 ** 63):
                return "{std::numeric_limits<int64_t>::min()}"
            if self.elem == "int32" and v == -(2 ** 31):
                return "{std::numeric_limits<int32_t>::min()}"
            return f"{{{v}}}"
        return ""

    def is_default_expr(self, m):
        """C++ expression: the member m holds the field's default."""
        if self.ever_nullable:
            if self.default in (None, "null"):
                return f"!{m}.has_value()"
            return f"({m}.has_value() && *{m} == {json.dumps(self.default)})"
        if self.is_array:
            return f"{m}.empty()"
        if self.is_struct:
            return f"{m} == {self.elem_cpp()}{{}}"
        if self.elem == "string":
            return f"{m} == {json.dumps(self.default or '')}"
        if self.elem == "bytes":
            return f"{m}.empty()"
        if self.elem == "uuid":
            return f"{m} == uuid{{}}"
        init = self.initializer()[1:-1] or "0"
        return f"{m} == {init}"


class Struct:
    def __init__(self, name, fields, owner):
        self.name = name
        self.fields = [Field(fd, owner) for fd in fields]
        self.children = []

    def struct_deps(self):
        return {f.elem for f in self.fields if f.is_struct}


def build_message(name, section):
    """The message's struct, with every struct it uses as a direct child, in
    an order where each is declared before it is used. A struct is defined
    once (by the field that lists its "fields", or in "structs") and may be
    used by any field of the message."""
    defs = {}

    def collect(fields, owner):
        for fd in fields:
            if "fields" in fd:
                elem = fd["type"][2:] if fd["type"].startswith("[]") else fd["type"]
                if elem in defs:
                    raise DefinitionError(f"{owner}: struct {elem} defined twice")
                defs[elem] = Struct(elem, fd["fields"], f"{owner}.{elem}")
                collect(fd["fields"], f"{owner}.{elem}")

    for c in section.get("structs", ()):
        if c["name"] in defs:
            raise DefinitionError(f"{name}: struct {c['name']} defined twice")
        defs[c["name"]] = Struct(c["name"], c["fields"], f"{name}.{c['name']}")
        collect(c["fields"], f"{name}.{c['name']}")
    collect(section["fields"], name)
    top = Struct(name, section["fields"], name)

    ordered, state = [], {}

    def visit(sname, via):
        if sname not in defs:
            raise DefinitionError(f"{via}: unknown struct {sname}")
        if state.get(sname) == "done":
            return
        if state.get(sname) == "visiting":
            raise DefinitionError(f"{via}: struct {sname} contains itself")
        state[sname] = "visiting"
        for dep in sorted(defs[sname].struct_deps()):
            visit(dep, f"{via}.{sname}")
        state[sname] = "done"
        ordered.append(defs[sname])

    for sname in defs:
        visit(sname, name)
    for dep in top.struct_deps():
        visit(dep, name)
    # The structs live at namespace scope as <message>_<struct>, complete
    # before the message uses them (Clang cannot default-construct a nested
    # struct with member initializers inside its unfinished parent), and
    # the message names them by their short names through aliases.
    for st in [top] + ordered:
        for f in st.fields:
            if f.is_struct:
                f.struct_cpp_name = f"{name}_{f.elem}"
    top.children = ordered
    return top


def cmp_flex(f):
    return "false" if f.flexible_none else "flexible"


def encode_value(f, m, lines, ind):
    """Append C++ lines that write value m (never null here) of field f."""
    c = cmp_flex(f)
    if f.is_array:
        lines.append(f"{ind}w.write_array_length({m}.size(), {c});")
        lines.append(f"{ind}for (const auto& e : {m}) {{")
        encode_elem(f, "e", lines, ind + "    ")
        lines.append(f"{ind}}}")
    else:
        encode_elem(f, m, lines, ind)


def encode_elem(f, m, lines, ind):
    c = cmp_flex(f)
    if f.is_struct:
        lines.append(f"{ind}{m}.encode(w, version);")
    elif f.elem == "string":
        lines.append(f"{ind}w.write_string({m}, {c});")
    elif f.elem == "bytes":
        lines.append(f"{ind}w.write_bytes({m}, {c});")
    elif f.elem == "records":
        lines.append(f"{ind}w.write_records({m}, {c});")
    else:
        lines.append(f"{ind}w.write_{PRIMITIVES[f.elem][1]}({m});")


def encode_field(f, m, lines, ind):
    c = cmp_flex(f)
    if f.elem == "records" and not f.is_array:
        lines.append(f"{ind}w.write_records({m}, {c});")
        return
    if not f.ever_nullable:
        encode_value(f, m, lines, ind)
        return
    nullable_now = in_range_expr(f.nullable)
    if f.is_struct and not f.is_array:
        # A nullable struct is preceded by a presence byte where nullable.
        lines.append(f"{ind}if ({m}.has_value()) {{")
        lines.append(f"{ind}    if ({nullable_now}) {{ w.write_int8(1); }}")
        lines.append(f"{ind}    {m}->encode(w, version);")
        lines.append(f"{ind}}} else if ({nullable_now}) {{")
        lines.append(f"{ind}    w.write_int8(-1);")
        lines.append(f"{ind}}} else {{")
        lines.append(f"{ind}    {f.elem_cpp()}{{}}.encode(w, version);")
        lines.append(f"{ind}}}")
        return
    lines.append(f"{ind}if ({m}.has_value()) {{")
    encode_value(f, f"(*{m})", lines, ind + "    ")
    lines.append(f"{ind}}} else if ({nullable_now}) {{")
    if f.elem == "string" and not f.is_array:
        lines.append(f"{ind}    w.write_nullable_string(std::nullopt, {c});")
    else:
        lines.append(f"{ind}    w.write_null_length({c});")
    lines.append(f"{ind}}} else {{")
    # Null where this version cannot say null: write the empty value.
    empty = {"string": "std::string{}", "bytes": "std::vector<uint8_t>{}"}
    if f.is_array:
        lines.append(f"{ind}    w.write_array_length(0, {c});")
    else:
        encode_elem(f, empty[f.elem], lines, ind + "    ")
    lines.append(f"{ind}}}")


def decode_elem(f, lines, ind, target):
    c = cmp_flex(f)
    if f.is_struct:
        lines.append(f"{ind}{target}.decode(r, version);")
    elif f.elem == "string":
        lines.append(f"{ind}{target} = r.read_string({c});")
    elif f.elem == "bytes":
        lines.append(f"{ind}{target} = r.read_bytes({c});")
    else:
        lines.append(f"{ind}{target} = r.read_{PRIMITIVES[f.elem][1]}();")


def decode_array(f, lines, ind, target, n):
    lines.append(f"{ind}{target}.clear();")
    # Reserve no more than a small bound: the count is the sender's word.
    lines.append(f"{ind}{target}.reserve(static_cast<size_t>(std::clamp<int32_t>({n}, 0, 1024)));")
    lines.append(f"{ind}for (int32_t i = 0; i < {n} && !r.failed(); ++i) {{")
    lines.append(f"{ind}    auto& e = {target}.emplace_back();")
    decode_elem(f, lines, ind + "    ", "e")
    lines.append(f"{ind}}}")


def decode_field(f, m, lines, ind):
    c = cmp_flex(f)
    if f.elem == "records" and not f.is_array:
        lines.append(f"{ind}{m} = r.read_records({c});")
        return
    if not f.ever_nullable:
        if f.is_array:
            lines.append(f"{ind}{{")
            lines.append(f"{ind}    int32_t n = r.read_array_length({c});")
            lines.append(f"{ind}    if (n < 0) {{ r.fail(\"null in a non-nullable array\"); }}")
            decode_array(f, lines, ind + "    ", m, "n")
            lines.append(f"{ind}}}")
        else:
            decode_elem(f, lines, ind, m)
        return
    nullable_now = in_range_expr(f.nullable)
    if f.is_array:
        lines.append(f"{ind}{{")
        lines.append(f"{ind}    int32_t n = r.read_array_length({c});")
        lines.append(f"{ind}    if (n < 0 && !({nullable_now})) {{ r.fail(\"null in a non-nullable array\"); }}")
        lines.append(f"{ind}    if (n < 0) {{ {m}.reset(); }} else {{")
        lines.append(f"{ind}        {m}.emplace();")
        decode_array(f, lines, ind + "        ", f"(*{m})", "n")
        lines.append(f"{ind}    }}")
        lines.append(f"{ind}}}")
    elif f.is_struct:
        lines.append(f"{ind}if (!({nullable_now}) || r.read_int8() >= 0) {{")
        lines.append(f"{ind}    {m}.emplace();")
        lines.append(f"{ind}    {m}->decode(r, version);")
        lines.append(f"{ind}}} else {{ {m}.reset(); }}")
    elif f.elem == "string":
        lines.append(f"{ind}{m} = r.read_nullable_string({c});")
        lines.append(f"{ind}if (!{m} && !({nullable_now})) {{ r.fail(\"null in a non-nullable string\"); }}")
    elif f.elem == "bytes":
        lines.append(f"{ind}{m} = r.read_nullable_bytes({c});")
        lines.append(f"{ind}if (!{m} && !({nullable_now})) {{ r.fail(\"null in non-nullable bytes\"); }}")


def guarded(lines, cond, emit):
    """Emit code under `if (cond)`, or bare when cond always holds."""
    if cond == "true":
        emit("    ")
        return
    lines.append(f"    if ({cond}) {{")
    emit("        ")
    lines.append("    }")


def gen_struct(s, versions, flexible, out_h, out_cc, message=None):
    """Emit struct s (declaration into out_h, definitions into out_cc).
    A message's structs come first, named <message>_<struct>."""
    for child in s.children:
        gen_struct(child, versions, flexible, out_h, out_cc, message=s.name)
        out_h.append("")
    qual = f"{message}_{s.name}" if message else s.name
    out_h.append(f"struct {qual} {{")
    for child in s.children:
        out_h.append(f"    using {child.name} = {s.name}_{child.name};")
    if s.children:
        out_h.append("")
    for f in s.fields:
        out_h.append(f"    {f.cpp_type()} {f.name}{f.initializer()};")
    out_h.append("    unknown_tagged_fields unknown_tags;")
    out_h.append("")
    out_h.append("    void encode(writer& w, int16_t version) const;")
    out_h.append("    void decode(reader& r, int16_t version);")
    out_h.append("    size_t encoded_size(int16_t version) const;")
    out_h.append(f"    bool operator==(const {qual}&) const = default;")
    out_h.append("};")

    flex_expr = in_range_expr(flexible)
    regular = [f for f in s.fields if f.tag is None]
    tagged = sorted([f for f in s.fields if f.tag is not None], key=lambda f: f.tag)

    # encode
    L = [f"void {qual}::encode(writer& w, [[maybe_unused]] int16_t version) const {{",
         f"    [[maybe_unused]] const bool flexible = {flex_expr};"]
    for f in regular:
        guarded(L, in_range_expr(f.versions), lambda ind: encode_field(f, f.name, L, ind))
    L.append("    if (flexible) {")
    L.append("        uint32_t count = static_cast<uint32_t>(unknown_tags.size());")
    for f in tagged:
        L.append(f"        const bool has_{f.name} = ({in_range_expr(f.tagged)}) && !({f.is_default_expr(f.name)});")
        L.append(f"        count += has_{f.name} ? 1 : 0;")
    L.append("        w.write_uvarint(count);")
    L.append("        auto unknown = unknown_tags.begin();")
    L.append("        auto write_unknown_before = [&](uint64_t tag) {")
    L.append("            for (; unknown != unknown_tags.end() && unknown->tag < tag; ++unknown) {")
    L.append("                w.write_uvarint(unknown->tag);")
    L.append("                w.write_uvarint(static_cast<uint32_t>(unknown->data.size()));")
    L.append("                w.write_raw(unknown->data);")
    L.append("            }")
    L.append("        };")
    for f in tagged:
        L.append(f"        if (has_{f.name}) {{")
        L.append(f"            write_unknown_before({f.tag});")
        L.append(f"            w.write_uvarint({f.tag});")
        L.append("            auto encode_value = [&](writer& w) {")
        encode_field(f, f.name, L, "                ")
        L.append("            };")
        L.append("            writer size_only;")
        L.append("            encode_value(size_only);")
        L.append("            w.write_uvarint(static_cast<uint32_t>(size_only.written()));")
        L.append("            encode_value(w);")
        L.append("        }")
    L.append("        write_unknown_before(UINT64_MAX);")
    L.append("    }")
    L.append("}")
    L.append("")

    # decode
    L.append(f"void {qual}::decode(reader& r, [[maybe_unused]] int16_t version) {{")
    L.append(f"    [[maybe_unused]] const bool flexible = {flex_expr};")
    for f in regular:
        guarded(L, in_range_expr(f.versions), lambda ind: decode_field(f, f.name, L, ind))
    L.append("    unknown_tags.clear();")
    L.append("    if (flexible) {")
    L.append("        uint32_t count = r.read_uvarint();")
    L.append("        for (uint32_t i = 0; i < count && !r.failed(); ++i) {")
    L.append("            uint32_t tag = r.read_uvarint();")
    L.append("            uint32_t size = r.read_uvarint();")
    L.append("            reader field = r.sub_reader(size);")
    L.append("            if (r.failed()) { break; }")
    first = True
    for f in tagged:
        kw = "if" if first else "} else if"
        first = False
        L.append(f"            {kw} (tag == {f.tag} && ({in_range_expr(f.tagged)})) {{")
        L.append("                {")
        L.append("                    reader& r = field;")
        decode_field(f, f.name, L, "                    ")
        L.append("                }")
        L.append(f"                if (field.failed() || field.remaining() != 0) {{ r.fail(\"malformed tagged field {f.tag}\"); }}")
    if tagged:
        L.append("            } else {")
    else:
        L.append("            {")
    L.append("                auto raw = field.read_raw(size);")
    L.append("                unknown_tags.push_back({tag, {raw.begin(), raw.end()}});")
    L.append("            }")
    L.append("        }")
    L.append("        // Kept in tag order, the order encode() writes them in.")
    L.append("        std::stable_sort(unknown_tags.begin(), unknown_tags.end(),")
    L.append("                         [](const auto& a, const auto& b) { return a.tag < b.tag; });")
    L.append("    }")
    L.append("}")
    L.append("")
    L.append(f"size_t {qual}::encoded_size(int16_t version) const {{")
    L.append("    writer w;")
    L.append("    encode(w, version);")
    L.append("    return w.written();")
    L.append("}")
    L.append("")
    out_cc.extend(L)


def gen_file(defn, stem, out_dir, all_messages, random_defs):
    h = ["// Generated by kafka_codegen.py from defs/" + stem + ".json. Do not edit.",
         "#pragma once", "",
         '#include "kafka/protocol/wire.h"', "",
         "#include <cstdint>", "#include <limits>", "#include <optional>",
         "#include <string>", "#include <vector>", "",
         "namespace kafka::protocol {", ""]
    cc = ["// Generated by kafka_codegen.py from defs/" + stem + ".json. Do not edit.",
          f'#include "kafka/protocol/messages/{stem}.h"', "",
          "#include <algorithm>", "#include <cstdint>", "",
          "namespace kafka::protocol {", ""]
    messages = []
    if "messages" in defn:
        for m in defn["messages"]:
            messages.append((m["name"], parse_versions(m["versions"], m["name"]),
                             parse_versions(m.get("flexible", "none"), m["name"]),
                             m))
    else:
        versions = parse_versions(defn["versions"], stem)
        flexible = parse_versions(defn.get("flexible", "none"), stem)
        for kind in ("request", "response"):
            messages.append((f"{defn['api']}_{kind}", versions, flexible, defn[kind]))
    for name, versions, flexible, section in messages:
        all_messages.append((stem, name, versions))
        h.append(f"// Versions {versions[0]}-{versions[1]}"
                 + (f", flexible from {flexible[0]}" if flexible else "") + ".")
        s = build_message(name, section)
        for child in s.children:
            random_defs.append((f"{name}::{child.name}", child, flexible))
        random_defs.append((name, s, flexible))
        gen_struct(s, versions, flexible, h, cc)
        h.append("")
    h.append("} // namespace kafka::protocol")
    cc.append("} // namespace kafka::protocol")
    write_if_changed(os.path.join(out_dir, f"{stem}.h"), "\n".join(h) + "\n")
    write_if_changed(os.path.join(out_dir, f"{stem}.cc"), "\n".join(cc) + "\n")


def gen_catalog(apis, out_dir):
    lines = ["// Generated by kafka_codegen.py. Do not edit.", "#pragma once", "",
             "#include <array>", "#include <cstdint>", "#include <string_view>", "",
             "namespace kafka::protocol {", "",
             "// Every API Atoll has message definitions for: the versions the",
             "// definitions cover and the first flexible version (-1: none).",
             "struct api_definition {",
             "    int16_t key;",
             "    std::string_view name;",
             "    int16_t min_version;",
             "    int16_t max_version;",
             "    int16_t first_flexible_version;",
             "};", "",
             f"inline constexpr std::array<api_definition, {len(apis)}> api_definitions{{{{"]
    for key, name, versions, flexible in sorted(apis):
        first_flex = flexible[0] if flexible else -1
        lines.append(f'    {{{key}, "{name}", {versions[0]}, {versions[1]}, {first_flex}}},')
    lines += ["}};", "", "namespace api_key {"]
    for key, name, _, _ in sorted(apis):
        lines.append(f"inline constexpr int16_t {name} = {key};")
    lines += ["} // namespace api_key", "", "} // namespace kafka::protocol", "",
              "// X(api_key, request type, response type) for every API.",
              "#define ATOLL_KAFKA_APIS(X) \\"]
    for key, name, _, _ in sorted(apis):
        lines.append(f"    X({key}, {name}_request, {name}_response) \\")
    lines += ["", ""]
    write_if_changed(os.path.join(out_dir, "api_catalog.h"), "\n".join(lines))


def gen_message_list(messages, out_dir):
    """all_messages.h: every generated message, for tests and fuzzers."""
    lines = ["// Generated by kafka_codegen.py. Do not edit.", "#pragma once", ""]
    for stem in sorted({m[0] for m in messages}):
        lines.append(f'#include "kafka/protocol/messages/{stem}.h"')
    lines += ["", "// X(type, min_version, max_version) for every message.",
              "#define ATOLL_KAFKA_MESSAGES(X) \\"]
    for _, name, versions in messages:
        lines.append(f"    X({name}, {versions[0]}, {versions[1]}) \\")
    lines += ["", ""]
    write_if_changed(os.path.join(out_dir, "all_messages.h"), "\n".join(lines))


RANDOM_PRIM = {
    "bool": "rnd.coin()", "int8": "rnd.integer<int8_t>()", "int16": "rnd.integer<int16_t>()",
    "uint16": "rnd.integer<uint16_t>()", "int32": "rnd.integer<int32_t>()",
    "uint32": "rnd.integer<uint32_t>()", "int64": "rnd.integer<int64_t>()",
    "float64": "rnd.real()", "uuid": "rnd.id()", "string": "rnd.string()",
    "bytes": "rnd.bytes()", "records": "rnd.records()",
}


def random_struct(s, flexible, qual, out):
    """randomize(): random values for the fields present at `version`."""
    out.append(f"void randomize({qual}& m, random_source& rnd, [[maybe_unused]] int16_t version) {{")
    out.append(f"    [[maybe_unused]] const bool flexible = {in_range_expr(flexible)};")
    for f in s.fields:
        present = in_range_expr(f.tagged) + " && flexible" if f.tag is not None else in_range_expr(f.versions)
        m = f"m.{f.name}"
        out.append(f"    if ({present}) {{")
        ind = "        "
        if f.nullable is not None or (f.elem == "records" and not f.is_array):
            nullable_now = in_range_expr(f.nullable) if f.nullable is not None else "false"
            out.append(f"{ind}if (({nullable_now}) && rnd.between(0, 3) == 0) {{ {m}.reset(); }} else {{")
            ind += "    "
            out.append(f"{ind}{m}.emplace();")
            m = f"(*{m})"
        if f.is_array:
            out.append(f"{ind}{m}.clear();")
            out.append(f"{ind}for (size_t i = 0, n = rnd.count(); i < n; ++i) {{")
            if f.is_struct:
                out.append(f"{ind}    randomize({m}.emplace_back(), rnd, version);")
            else:
                out.append(f"{ind}    {m}.push_back({RANDOM_PRIM[f.elem]});")
            out.append(f"{ind}}}")
        elif f.is_struct:
            out.append(f"{ind}randomize({m}, rnd, version);")
        else:
            out.append(f"{ind}{m} = {RANDOM_PRIM[f.elem]};")
        if ind != "        ":
            out.append("        }")
        out.append("    }")
    out.append("    if (flexible) { m.unknown_tags = rnd.unknown_tags(); }")
    out.append("}")
    out.append("")


def gen_test_support(random_defs, out_dir):
    h = ["// Generated by kafka_codegen.py. Do not edit. For tests only.", "#pragma once", "",
         '#include "kafka/protocol/messages/all_messages.h"',
         '#include "kafka/protocol/tests/random_source.h"', "",
         "namespace kafka::protocol::testing {", ""]
    cc = ["// Generated by kafka_codegen.py. Do not edit. For tests only.",
          '#include "kafka/protocol/messages/test_support.h"', "",
          "namespace kafka::protocol::testing {", ""]
    for qual, s, flexible in random_defs:
        h.append(f"void randomize({qual}& m, random_source& rnd, int16_t version);")
        random_struct(s, flexible, qual, cc)
    h += ["", "} // namespace kafka::protocol::testing", ""]
    cc += ["} // namespace kafka::protocol::testing", ""]
    write_if_changed(os.path.join(out_dir, "test_support.h"), "\n".join(h))
    write_if_changed(os.path.join(out_dir, "test_support.cc"), "\n".join(cc))


def write_if_changed(path, text):
    # Unchanged outputs keep their timestamps, so nothing recompiles.
    if os.path.exists(path):
        with open(path) as f:
            if f.read() == text:
                return
    with open(path, "w") as f:
        f.write(text)


def main(argv):
    if len(argv) < 3:
        print("usage: kafka_codegen.py OUT_DIR DEF.json...", file=sys.stderr)
        return 2
    out_dir = argv[1]
    os.makedirs(out_dir, exist_ok=True)
    apis = []
    all_messages = []
    random_defs = []
    for path in argv[2:]:
        stem = os.path.splitext(os.path.basename(path))[0]
        try:
            with open(path) as f:
                defn = json.load(f)
            gen_file(defn, stem, out_dir, all_messages, random_defs)
        except (DefinitionError, KeyError, ValueError) as e:
            print(f"{path}: {e}", file=sys.stderr)
            return 1
        if "api" in defn:
            apis.append((defn["key"], defn["api"],
                         parse_versions(defn["versions"], stem),
                         parse_versions(defn.get("flexible", "none"), stem)))
    gen_catalog(apis, out_dir)
    gen_message_list(all_messages, out_dir)
    gen_test_support(random_defs, out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
