"""Static checks of the project's PowerShell scripts (tree-sitter-powershell + the cmdlet reference).

    findings = lint_file(path)            # or lint_source(text, name)
    for f in findings: print(f)           # "<file>:<line>: <rule>: <message>"

Rules (every script targets Windows PowerShell 5.1 over WinRM):
- syntax       parses without ERROR or MISSING nodes; UTF-8 without a byte-order mark
- header       `Set-StrictMode -Version Latest` and `$ErrorActionPreference = 'Stop'`; product scripts start
               with `param([Parameter(Mandatory)] $Params)`
- prelude      _prelude.ps1 (dot-sourced before every script) holds only functions and constant assignments;
               its functions count as known commands in every script
- no-eval      no Invoke-Expression / iex, no [scriptblock]::Create (except in _bootstrap.ps1), no
               NewScriptBlock / InvokeScript, no Add-Type (code compiled from text), no `&` / `.` invocation of
               anything but a literal command name (the bootstrap's `& ([scriptblock]::Create($source))` and
               `. ([scriptblock]::Create($prelude))`)
- no-expand    no $Params inside an expandable ("...") string or here-string: values never become text that
               is run or parsed; pass them as parameters instead
- no-splat     @splatting only of a hashtable whose every key the script writes literally (`$h = @{ Key = ... }`,
               `$h['Key'] = ...`, `$h.Key = ...`; never a computed key), each key then checked as a -Parameter
               below (splatting the parameters that are set is how a cmdlet gets only those)
- cmdlet       every command is a cmdlet listed in /work/shared/reference/cmdlets.json (full name, not an
               alias); each -Parameter is one of its parameters, parameter aliases, provider parameters or the
               common parameters (-WhatIf/-Confirm only where supported), case-insensitive, unambiguous
               prefixes allowed; PowerShell-7-only parameters are refused. The reference is completed by
               cmdlets_supplement.json beside this file (cmdlets its snapshot lacks, each with its doc source)
- native       a native executable only from NATIVE_TOOLS, called by its full name (netsh.exe), with exactly its
               documented argument sequence: literal words, and value slots filled by a plain variable or
               ('key=' + $variable) (never $Params itself, an expandable string or a splat: the script copies
               the value into a variable it validated first)
"""
from __future__ import annotations

import functools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import tree_sitter as ts
import tree_sitter_powershell as tsp

def _reference() -> Path:
    """The cmdlet reference: $NDES_CMDLET_REFERENCE, else shared/ beside the repository (as CI lays it out),
    else the workplace's /work/shared."""
    if os.environ.get("NDES_CMDLET_REFERENCE"):
        return Path(os.environ["NDES_CMDLET_REFERENCE"])
    beside = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "cmdlets.json"
    return beside if beside.is_file() else Path("/work/shared/reference/cmdlets.json")


REFERENCE = _reference()
SCRIPTS_DIR = Path(__file__).resolve().parents[2] / "ndes" / "windows" / "scripts"
BOOTSTRAP = "_bootstrap.ps1"
PRELUDE = "_prelude.ps1"
_BOOTSTRAP_INVOKES = {"&": re.compile(r"\(\s*\[scriptblock\]::Create\(\$source\)\s*\)", re.I),
                      ".": re.compile(r"\(\s*\[scriptblock\]::Create\(\$prelude\)\s*\)", re.I)}

_PARAM_HEADER = re.compile(r"^(?:\s*#[^\n]*\n|\s*\n)*\s*param\s*\(\s*\[Parameter\(\s*Mandatory\s*\)\]\s*\$Params\s*\)",
                           re.IGNORECASE)
_EVAL = [
    (re.compile(r"\[scriptblock\]\s*::\s*create\b", re.I), "[scriptblock]::Create builds code from text"),
    (re.compile(r"\bnewscriptblock\b", re.I), "NewScriptBlock builds code from text"),
    (re.compile(r"\binvokescript\b", re.I), "InvokeScript runs text as code"),
]
_BANNED = {"invoke-expression": "Invoke-Expression runs text as code", "iex": "iex runs text as code",
           "add-type": "Add-Type compiles code from text"}
_PARAMS_IN_STRING = re.compile(r"\$(?:\{\s*)?params\b", re.I)
SUPPLEMENT = Path(__file__).resolve().parent / "cmdlets_supplement.json"

# Native tools a script may run, each with its documented forms: each argument in order, a literal word
# (case-insensitive) or a value slot ("key=" for ('key=' + $var), "" for a bare $var, "*" for a bare $var holding
# `name=value` words the script matched one by one against the contract's pattern before the call, each passed as
# one argument: the settings HttpSslCertUpdate passes again, which differ per record).
NATIVE_TOOLS: dict[str, tuple[str, list[list[str | tuple[str]]]]] = {
    "netsh.exe": ("https://learn.microsoft.com/windows-server/administration/windows-commands/netsh-http "
                  "(show sslcert; update sslcert: HttpUpdateServiceConfiguration, its optional name=value "
                  "settings as `netsh http add sslcert help` lists them, microsoft/IIS.WebManager#510)",
                  [["http", "show", "sslcert", ("ipport=",)],
                   ["http", "update", "sslcert", ("ipport=",), ("certhash=",), ("appid=",), "certstorename=MY",
                    ("*",)]]),
    "secedit.exe": ("https://learn.microsoft.com/windows-server/administration/windows-commands/secedit-export",
                    [["/export", "/areas", "USER_RIGHTS", "/cfg", ("",), "/quiet"]]),
}
_SLOT = re.compile(r"\(\s*'([A-Za-z]+=)'\s*\+\s*\$([A-Za-z_]\w*)\s*\)|\$([A-Za-z_]\w*)")


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.rule}: {self.message}"


@functools.lru_cache(maxsize=1)
def _parser() -> ts.Parser:
    return ts.Parser(ts.Language(tsp.language()))


class CmdletReference:
    """The cmdlets and parameters Windows PowerShell 5.1 offers (built from Microsoft's docs)."""

    def __init__(self, data: dict) -> None:
        if SUPPLEMENT.is_file():
            data = {**{k: v for k, v in json.loads(SUPPLEMENT.read_text()).items() if not k.startswith("_")},
                    **data}
        self.common = [p for p in data["_common"] if p not in ("WhatIf", "Confirm")]
        self.common_aliases = {k.lower(): v for k, v in data["_common_aliases"].items()}
        self.cmdlets = {k.lower(): v | {"name": k} for k, v in data.items() if not k.startswith("_")}

    @classmethod
    @functools.lru_cache(maxsize=1)
    def load(cls, path: Path = REFERENCE) -> "CmdletReference":
        return cls(json.loads(Path(path).read_text()))

    def cmdlet(self, name: str) -> dict | None:
        return self.cmdlets.get(name.lower())

    def check_parameter(self, cmdlet: dict, param: str) -> str | None:
        """None when `-param` is valid for `cmdlet` in 5.1, else why not."""
        p = param.lower()
        own = list(cmdlet.get("parameters", []))
        for provider_params in (cmdlet.get("provider_dynamic_parameters") or {}).values():
            own += provider_params
        whatif = ["WhatIf", "Confirm"] if cmdlet.get("supports_whatif_confirm") else []
        names = own + self.common + whatif
        aliases = {k.lower(): v for k, v in (cmdlet.get("aliases") or {}).items()}
        aliases.update(self.common_aliases if whatif else
                       {k: v for k, v in self.common_aliases.items() if v not in ("WhatIf", "Confirm")})
        ps7 = [n for n in cmdlet.get("ps7_only_parameters") or [] if n.lower() not in {x.lower() for x in names}]
        if p in {n.lower() for n in names} or p in aliases:
            return None
        if any(n.lower() == p or (n.lower().startswith(p) and not any(x.lower().startswith(p) for x in names))
               for n in ps7):
            return f"-{param} of {cmdlet['name']} exists only in PowerShell 7, not in Windows PowerShell 5.1"
        if p in ("whatif", "confirm", "wi", "cf"):
            return f"{cmdlet['name']} does not support -WhatIf/-Confirm"
        matches = sorted({n for n in names if n.lower().startswith(p)})
        if len(matches) == 1:
            return None
        if matches:
            return f"-{param} of {cmdlet['name']} is ambiguous: {', '.join(matches)}"
        return f"-{param} is not a parameter of {cmdlet['name']} (known: {', '.join(sorted(own))})"


def _line(node: ts.Node) -> int:
    return node.start_point[0] + 1


def _walk(node: ts.Node):
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def _functions(tree: ts.Tree, txt) -> dict[str, list[str]]:
    """The functions a source defines, with their parameter names."""
    functions: dict[str, list[str]] = {}
    for n in _walk(tree.root_node):
        if n.type == "function_statement":
            fname = next((txt(c) for c in n.children if c.type == "function_name"), "")
            params = []
            for decl in n.children:
                if decl.type in ("function_parameter_declaration", "script_block", "ERROR"):
                    for sub in _walk(decl):
                        if sub.type == "function_statement":
                            break
                        if sub.type == "script_parameter":
                            var = next((c for c in sub.children if c.type == "variable"), None)
                            if var is not None:
                                params.append(txt(var).lstrip("$"))
            functions[fname.lower()] = params
    return functions


@functools.lru_cache(maxsize=4)
def prelude_functions(directory: Path = SCRIPTS_DIR) -> dict[str, list[str]]:
    """The functions _prelude.ps1 gives every script."""
    path = Path(directory) / PRELUDE
    if not path.is_file():
        return {}
    src = path.read_bytes()
    return _functions(_parser().parse(src), lambda n: src[n.start_byte:n.end_byte].decode("utf-8"))


def lint_source(text: str, name: str, ref: CmdletReference | None = None) -> list[Finding]:
    """All findings for the script `name` (its file name, e.g. "WindowsFeatures.ps1") with source `text`."""
    ref = ref or CmdletReference.load()
    out: list[Finding] = []
    is_bootstrap = name == BOOTSTRAP
    is_prelude = name == PRELUDE
    src = text.encode("utf-8")
    if text.startswith("\ufeff"):
        out.append(Finding(name, 1, "syntax", "the file starts with a byte-order mark: save as UTF-8 without BOM"))
    tree = _parser().parse(src)

    def txt(node: ts.Node) -> str:
        return src[node.start_byte:node.end_byte].decode("utf-8")

    blanked = bytearray(src)  # the source with comments blanked out
    for n in _walk(tree.root_node):
        if n.type == "ERROR" or n.is_missing:
            out.append(Finding(name, _line(n), "syntax", f"cannot parse: {txt(n)[:60]!r}"))
        if n.type == "comment":
            blanked[n.start_byte:n.end_byte] = b" " * (n.end_byte - n.start_byte)
    code = blanked.decode("utf-8")

    # ---- header
    if not re.search(r"\bSet-StrictMode\s+-Version\s+Latest\b", code, re.I):
        out.append(Finding(name, 1, "header", "missing `Set-StrictMode -Version Latest`"))
    if not re.search(r"\$ErrorActionPreference\s*=\s*['\"]Stop['\"]", code, re.I):
        out.append(Finding(name, 1, "header", "missing `$ErrorActionPreference = 'Stop'`"))
    if not (is_bootstrap or is_prelude) and not _PARAM_HEADER.match(text.lstrip("\ufeff")):
        out.append(Finding(name, 1, "header", "must start with `param([Parameter(Mandatory)] $Params)`"))
    if is_prelude:
        out.extend(_prelude_shape(tree, name, txt))

    # ---- the script's own functions and their parameters (and the prelude's, which every script gets)
    functions = {} if is_bootstrap else dict(prelude_functions())
    functions.update(_functions(tree, txt))

    # ---- code from text
    for pattern, why in _EVAL:
        if pattern.search(code):
            allowed = is_bootstrap and why.startswith("[scriptblock]::Create") and \
                len(pattern.findall(code)) == len(_BOOTSTRAP_INVOKES)
            if not allowed:
                line = next((i + 1 for i, l in enumerate(code.splitlines()) if pattern.search(l)), 1)
                out.append(Finding(name, line, "no-eval", why))

    for n in _walk(tree.root_node):
        if n.type in ("expandable_string_literal", "expandable_here_string_literal") and \
                _PARAMS_IN_STRING.search(txt(n)):
            out.append(Finding(name, _line(n), "no-expand",
                               "$Params inside an expandable string: copy the value to a variable and pass it as "
                               "a parameter, never as text"))
        if n.type != "command":
            continue
        invoke = next((c for c in n.children if c.type == "command_invokation_operator"), None)
        name_node = next((c for c in n.children if c.type in ("command_name", "command_name_expr")), None)
        if invoke is not None:
            target = txt(name_node) if name_node is not None else ""
            allowed = _BOOTSTRAP_INVOKES.get(txt(invoke).strip())
            if not (is_bootstrap and allowed is not None and allowed.fullmatch(target)):
                out.append(Finding(name, _line(n), "no-eval",
                                   f"`{txt(invoke)} {target}` invokes a computed command; call cmdlets by name"))
            continue
        if name_node is None:
            continue
        cmd_name = txt(name_node)
        if cmd_name.lower() in _BANNED:
            out.append(Finding(name, _line(n), "no-eval", _BANNED[cmd_name.lower()]))
            continue
        if cmd_name.lower() in NATIVE_TOOLS or cmd_name.lower() in {t.rsplit(".", 1)[0] for t in NATIVE_TOOLS}:
            out.extend(_native(name, n, cmd_name, txt))
            continue
        if cmd_name.lower() in functions:
            cmdlet = {"name": cmd_name, "parameters": functions[cmd_name.lower()]}
        else:
            cmdlet = ref.cmdlet(cmd_name)
        if cmdlet is None:
            out.append(Finding(name, _line(n), "cmdlet",
                               f"{cmd_name} is not a cmdlet of the reference (cmdlets.json): use a listed cmdlet "
                               "or a .NET call"))
            continue
        elements = next((c for c in n.children if c.type == "command_elements"), None)
        if elements is None:
            continue
        for el in elements.children:
            if el.type == "command_parameter":
                param = txt(el).lstrip("-").rstrip(":")
                why = ref.check_parameter(cmdlet, param)
                if why:
                    out.append(Finding(name, _line(el), "cmdlet", why))
            elif re.fullmatch(r"@[A-Za-z_]\w*", txt(el).strip()):
                keys = _splat_keys(code, txt(el).strip()[1:])
                if keys is None:
                    out.append(Finding(name, _line(el), "no-splat",
                                       f"splatting {txt(el).strip()} hides parameters from the check: build it "
                                       "as a hashtable with literal keys only"))
                    continue
                for key in keys:
                    why = ref.check_parameter(cmdlet, key)
                    if why:
                        out.append(Finding(name, _line(el), "cmdlet", f"{why} (a key of {txt(el).strip()})"))
    return out


def _native(name: str, n: ts.Node, cmd_name: str, txt) -> list[Finding]:
    """A native tool's call: its full name and exactly its documented argument sequence (NATIVE_TOOLS)."""
    if cmd_name.lower() not in NATIVE_TOOLS:
        return [Finding(name, _line(n), "native", f"call {cmd_name} by its full name ({cmd_name}.exe)")]
    source, forms = NATIVE_TOOLS[cmd_name.lower()]
    elements = next((c for c in n.children if c.type == "command_elements"), None)
    args = [c for c in (elements.children if elements is not None else []) if c.type != "command_argument_sep"]
    words = [txt(a).strip() for a in args]
    whys = [_form_mismatch(words, spec) for spec in forms]
    if all(whys):
        return [Finding(name, _line(n), "native", f"{cmd_name}: {' / '.join(whys)} ({source})")]
    return []


def _form_mismatch(words: list[str], spec: list[str | tuple[str]]) -> str:
    """Why `words` is not this documented form ("" when it is)."""
    if len(words) != len(spec):
        return f"{len(words)} arguments where its documented form has {len(spec)}"
    for word, want in zip(words, spec):
        if isinstance(want, str):
            if word.strip("'").lower() != want.lower() or '"' in word or "$" in word:
                return f"{word!r} where its documented form has {want!r}"
            continue
        m = _SLOT.fullmatch(word)
        key = (m.group(1) or "") if m else None
        var = (m.group(2) or m.group(3)) if m else ""
        if want[0] == "*":
            if m is None or m.group(3) is None or var.lower() == "params":
                return f"{word!r} is not a bare $variable of validated name=value words"
        elif m is None or key.lower() != want[0].lower() or var.lower() == "params":
            return f"{word!r} is not a value slot {want[0]!r}+$variable (a variable the script validated)"
    return ""


def _splat_keys(code: str, var: str) -> list[str] | None:
    """The keys the script writes into hashtable $var, when every write is literal (None otherwise, or when the
    script never builds $var as a hashtable literal)."""
    v = re.escape(var)
    inits = re.findall(rf"\${v}\s*=\s*@\{{([^{{}}]*)\}}", code, re.I)
    if not inits:
        return None
    keys: list[str] = []
    for body in inits:
        for entry in re.split(r"[;\n]", body):
            if not entry.strip():
                continue
            m = re.match(r"\s*(['\"]?)([A-Za-z]\w*)\1\s*=", entry)
            if m is None:
                return None
            keys.append(m.group(2))
    if re.search(rf"\${v}\s*\[\s*(?!['\"][A-Za-z]\w*['\"]\s*\])", code, re.I) or \
            re.search(rf"\${v}\s*\.\s*(Add|Item|Set_Item)\b", code, re.I):
        return None  # a computed key, or a method that takes one
    keys += re.findall(rf"\${v}\s*\[\s*['\"]([A-Za-z]\w*)['\"]\s*\]\s*=", code, re.I)
    keys += re.findall(rf"\${v}\s*\.\s*([A-Za-z]\w*)\s*=(?!=)", code, re.I)
    return keys


def _prelude_shape(tree: ts.Tree, name: str, txt) -> list[Finding]:
    """The prelude runs before every script: at its top level only function definitions, constant assignments
    and the StrictMode / ErrorActionPreference header, so dot-sourcing it never acts on the host."""
    out = []
    for n in tree.root_node.children:
        for stmt in _walk(n):
            if stmt.type in ("function_statement", "comment"):
                continue
            if stmt.type == "pipeline" and stmt.parent is not None and stmt.parent.type == "statement_list" and \
                    stmt.parent.parent is not None and stmt.parent.parent.type in ("program", "script_block_body") \
                    and not _inside_function(stmt):
                code = txt(stmt).strip()
                if not re.fullmatch(r"(Set-StrictMode\s+-Version\s+Latest|\$\w+\s*=\s*'[^']*')", code, re.I):
                    out.append(Finding(name, _line(stmt), "prelude", f"only functions and constants at the top "
                                       f"level of the prelude, not `{code[:50]}`"))
    return out


def _inside_function(node: ts.Node) -> bool:
    cur = node.parent
    while cur is not None:
        if cur.type == "function_statement":
            return True
        cur = cur.parent
    return False


def lint_file(path: Path, ref: CmdletReference | None = None) -> list[Finding]:
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [Finding(Path(path).name, 1, "syntax", f"not UTF-8: {exc}")]
    return lint_source(text, Path(path).name, ref)


def script_files(directory: Path = SCRIPTS_DIR) -> list[Path]:
    return sorted(Path(directory).glob("*.ps1"))


if __name__ == "__main__":
    import sys
    files = [Path(a) for a in sys.argv[1:]] or script_files()
    found = [f for p in files for f in lint_file(p)]
    for f in found:
        print(f)
    sys.exit(1 if found else 0)
