"""Every script in ndes/windows/scripts passes the static checks (ps1_lint), and the checks catch what they
are there to catch."""
from __future__ import annotations

import pytest

from ndes.windows.contracts import http_ssl_cert_update as H

from .ps1_lint import CmdletReference, SCRIPTS_DIR, lint_file, lint_source, script_files

HEADER = "param([Parameter(Mandatory)] $Params)\nSet-StrictMode -Version Latest\n$ErrorActionPreference = 'Stop'\n"


def test_there_are_scripts_to_check():
    names = {p.name for p in script_files()}
    assert {"_bootstrap.ps1", "HostBoot.ps1", "RegistryValues.ps1"} <= names, names


@pytest.mark.parametrize("path", script_files(), ids=lambda p: p.name)
def test_script_passes_the_static_checks(path):
    findings = lint_file(path)
    assert not findings, "\n".join(map(str, findings))


def rules(body: str, name: str = "Example.ps1") -> list[tuple[str, str]]:
    return [(f.rule, f.message) for f in lint_source(HEADER + body, name)]


def test_a_clean_script_has_no_findings():
    assert rules("$v = Get-ItemProperty -LiteralPath 'HKLM:\\SOFTWARE' -Name x -ErrorAction SilentlyContinue\n"
                 "@{ changed = $false; state = @{}; rebootRequired = $false; warnings = @() }\n") == []


def test_syntax_errors_are_found():
    found = rules("if ($x { Get-Item -Path 'a' }\n")
    assert any(r == "syntax" for r, _ in found), found


def test_the_header_is_required():
    found = [(f.rule, f.message) for f in lint_source("Get-Item -Path 'a'\n", "Bad.ps1")]
    msgs = " ".join(m for _, m in found)
    assert "Set-StrictMode" in msgs and "ErrorActionPreference" in msgs and "param(" in msgs


def test_byte_order_mark_is_refused():
    assert any("byte-order mark" in f.message for f in lint_source("\ufeff" + HEADER, "Bom.ps1"))


@pytest.mark.parametrize("body,expect", [
    ("Invoke-Expression 'Get-Date'\n", "Invoke-Expression"),
    ("iex $x\n", "iex"),
    ("$sb = [ScriptBlock]::Create('Get-Date')\n", "[scriptblock]::Create"),
    ("$ExecutionContext.InvokeCommand.NewScriptBlock('x')\n", "NewScriptBlock"),
    ("& $command\n", "computed command"),
    (". ('Get-' + 'Date')\n", "computed command"),
    ("Add-Type -TypeDefinition 'public class A {}'\n", "Add-Type"),
])
def test_code_built_from_text_is_refused(body, expect):
    found = rules(body)
    assert any(r == "no-eval" and expect in m for r, m in found), found


def test_scriptblock_create_is_allowed_only_in_the_bootstrap():
    text = (SCRIPTS_DIR / "_bootstrap.ps1").read_text()
    assert not lint_source(text, "_bootstrap.ps1")
    assert any(f.rule == "no-eval" for f in lint_source(text, "NotTheBootstrap.ps1"))


def test_params_expanded_into_a_string_is_refused():
    found = rules('Get-Item -Path "HKLM:\\$($Params.path)"\n$t = @"\n$Params\n"@\n')
    assert [r for r, _ in found].count("no-expand") == 2, found
    assert rules("$p = [string] $Params.path\nGet-Item -LiteralPath $p\n") == []
    assert rules("$t = '$Params stays literal in single quotes'\n") == []


def test_splatting_is_refused_unless_every_key_is_literal_and_a_parameter():
    assert rules("$a = @{ LiteralPath = 'x' }\n$a['Force'] = $true\n$a.ErrorAction = 'Stop'\nGet-Item @a\n") == []
    found = rules("$a = @{ LiteralPath = 'x' }\n$a[$k] = 1\nGet-Item @a\n")  # a computed key
    assert any(r == "no-splat" for r, _ in found), found
    found = rules("$a = Get-Thing\nGet-Item @a\n")  # not a hashtable the script wrote
    assert any(r == "no-splat" for r, _ in found), found
    found = rules("$a = @{ LiteralPath = 'x' }\n$a['Nonsense'] = 1\nGet-Item @a\n")  # not a parameter
    assert any(r == "cmdlet" and "Nonsense" in m for r, m in found), found


@pytest.mark.parametrize("body,expect", [
    ("Get-ItemProprety -Path 'a'\n", "not a cmdlet of the reference"),
    ("gci -Path 'a'\n", "not a cmdlet of the reference"),
    ("Get-Item -Paht 'a'\n", "not a parameter of Get-Item"),
    ("ConvertTo-Json -InputObject $x -AsArray\n", "only in PowerShell 7"),
    ("ConvertFrom-Json -InputObject $x -AsHashtable\n", "only in PowerShell 7"),
    ("Get-Item -Path 'a' -WhatIf\n", "does not support -WhatIf"),
    ("Set-ItemProperty -Path 'a' -Name n -Value 1 -P 'x'\n", "ambiguous"),
])
def test_cmdlets_and_parameters_are_checked_against_the_reference(body, expect):
    found = rules(body)
    assert any(r == "cmdlet" and expect in m for r, m in found), found


@pytest.mark.parametrize("body", [
    "Get-Item -literalpath 'a'\n",                                       # case-insensitive
    "Get-Item -Lit 'a'\n",                                               # unambiguous prefix
    "Get-Item -PSPath 'a'\n",                                            # parameter alias
    "Get-Item -Path 'a' -ErrorAction Stop -ea Stop -OutVariable x\n",   # common parameters and aliases
    "Remove-Item -Path 'a' -WhatIf -Confirm:$false\n",                   # supported WhatIf/Confirm
    "Get-Item -Path 'Cert:\\LocalMachine\\My' -SSLServerAuthentication\n",  # a provider parameter
    "function Get-Thing([string] $Name) { $Name }\nGet-Thing -Name 'x'\n",  # the script's own function
])
def test_valid_calls_pass(body):
    assert rules(body) == []


def test_the_reference_knows_the_cmdlets_our_scripts_rely_on():
    ref = CmdletReference.load()
    for name in ("Install-WindowsFeature", "Get-LocalGroupMember", "Set-WebConfigurationProperty",
                 "New-ItemProperty", "Restart-Computer"):
        assert ref.cmdlet(name) is not None, name


PRELUDE_HEADER = "Set-StrictMode -Version Latest\n$ErrorActionPreference = 'Stop'\n"


def test_the_prelude_may_only_define_functions_and_constants():
    ok = PRELUDE_HEADER + "$K = 'HKLM:\\SOFTWARE\\X'\nfunction Get-X([string] $Name) { Get-Item -LiteralPath $K }\n"
    assert [f for f in lint_source(ok, "_prelude.ps1")] == []
    bad = PRELUDE_HEADER + "Remove-Item -LiteralPath 'HKLM:\\SOFTWARE\\X'\n"
    assert any(f.rule == "prelude" for f in lint_source(bad, "_prelude.ps1"))


def test_scripts_may_call_the_preludes_functions_with_their_parameters():
    assert rules("$o = Get-OwnerMark -Mark 'x'\nSet-OwnerMark -Mark 'x' -Owner 'y'\n") == []
    found = rules("Get-OwnerMark -Nmae 'x'\n")
    assert any(r == "cmdlet" for r, _ in found), found


def test_the_bootstrap_may_build_exactly_the_prelude_and_the_script():
    text = (SCRIPTS_DIR / "_bootstrap.ps1").read_text()
    extra = text.replace("exit 0", ". ([scriptblock]::Create($params))\n    exit 0")
    assert any(f.rule == "no-eval" for f in lint_source(extra, "_bootstrap.ps1"))


def test_the_boot_identity_survives_clock_steps():
    """Issue 13 item 11: LastBootUpTime at 100 ns moves when the clock is stepped (w32time, Hyper-V time sync), so a
    restart mark could stop matching without a restart: the prelude reads Windows' per-boot counter first, and
    falls back to the boot time to the minute only."""
    import re
    text = (SCRIPTS_DIR / "_prelude.ps1").read_text()
    body = text[text.index("function Get-BootId"):text.index("function Set-RebootMark")]
    assert "PrefetchParameters" in body and "'BootId'" in body
    assert body.index("'BootId'") < body.index(".LastBootUpTime")
    assert "ToString('o')" not in body and re.search(r"ToString\('yyyy-MM-ddTHH:mmZ'\)", body)


def test_ndes_role_binds_only_the_ra_details_that_are_set():
    """Issue 13 item 11: Install-AdcsNetworkDeviceEnrollmentService gets only the RA fields the configuration sets
    (splatted), never an unset one bound as $null (not documented to equal an omitted parameter)."""
    import re
    text = (SCRIPTS_DIR / "NdesRole.ps1").read_text()
    assert not re.search(r"-RA(Email|Company|Department|City|State|Country)\b", text)
    for field in ("Email", "Company", "Department", "City", "State", "Country"):
        assert re.search(rf"if \(\$Params\.ra{field}\) \{{ \$install\['RA{field}'\] = ", text), field
    assert "Install-AdcsNetworkDeviceEnrollmentService @install" in text


NETSH_OK = ("netsh.exe http update sslcert ('ipport=' + $ip) ('certhash=' + $hash) ('appid=' + $app) "
            "'certstorename=MY' $settings\n")
NETSH_SHOW = "netsh.exe http show sslcert ('ipport=' + $ip)\n"


@pytest.mark.parametrize("body,expect", [
    (NETSH_OK.replace("$ip)", "$Params.ipport)"), "value slot"),            # $Params itself, not a validated copy
    (NETSH_OK.replace("('ipport=' + $ip)", '"ipport=$ip"'), "value slot"),   # text built by expansion
    (NETSH_OK.replace("update", "delete"), "'delete'"),                       # another verb: not the allowed form
    (NETSH_OK.replace(" 'certstorename=MY'", ""), "arguments"),               # not the documented sequence
    (NETSH_OK.replace("('appid=' + $app)", "('certhash=' + $app)"), "value slot"),
    (NETSH_OK.replace("netsh.exe", "netsh"), "full name"),
    (NETSH_OK.replace("$settings", "('dsmapperusage=' + $Params.dsmapper)"), "bare $variable"),  # not the words slot
    (NETSH_OK.replace("$settings", '"$settings"'), "bare $variable"),          # one expanded string, not words
    (NETSH_SHOW.replace("show", "delete"), "'delete'"),
    (NETSH_SHOW.replace(")", ") $more"), "arguments"),
    ("secedit.exe /export /areas USER_RIGHTS /cfg $file\n", "arguments"),
    ("secedit.exe /configure /areas USER_RIGHTS /cfg $file /quiet\n", "'/configure'"),
])
def test_native_tools_only_in_their_documented_form(body, expect):
    found = rules(body)
    assert any(r == "native" and expect in m for r, m in found), found


def test_native_tools_documented_form_passes_and_others_are_refused():
    assert rules(NETSH_OK) == []
    assert rules(NETSH_SHOW) == []
    assert rules("secedit.exe /export /areas USER_RIGHTS /cfg $file /quiet\n") == []
    assert any(r == "cmdlet" for r, _ in rules("certutil.exe -delstore My $x\n"))


def test_get_winevent_comes_from_the_supplement_with_its_parameters():
    assert rules("Get-WinEvent -FilterHashtable @{ LogName = 'Application' } -MaxEvents 5\n") == []
    assert any(r == "cmdlet" and "Nonsense" in m for r, m in rules("Get-WinEvent -Nonsense 1\n"))


def test_http_ssl_cert_update_validates_every_value_before_netsh():
    """The values netsh gets were validated in Python (the contract) and again in the script, before the call."""
    text = (SCRIPTS_DIR / "HttpSslCertUpdate.ps1").read_text()
    update = text.index("netsh.exe http update")
    assert text.index("$ipport -notmatch '^(?:(?:") < text.index("netsh.exe")  # before the show as well
    for var, pattern in (("$certhash", "-cnotmatch '^[0-9A-F]{40}$'"), ("$appid", "-notmatch '^\\{[0-9a-fA-F]{8}")):
        assert text.index(f"{var} {pattern}") < update, var
    # each setting word is matched one by one, against exactly the contract's pattern, before the update
    check = text.index(f"$setting -cnotmatch '{H.SETTING}'")
    assert text.index("foreach ($setting in $settings)") < check < update


# ---- Windows PowerShell 5.1 facts the simulators cannot show (they play a script's contract, not its text) ----
def _code(path) -> str:
    """The script without its comment lines."""
    return "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("#"))


def test_signedcms_is_used_only_after_system_security_is_loaded():
    """System.Security.Cryptography.Pkcs lives in System.Security.dll, which 5.1 does not always load
    (dataplat/dbatools#6278): a script decoding CMS loads it first, by its strong name."""
    for path in script_files():
        code = _code(path)
        use = code.find("System.Security.Cryptography.Pkcs")
        if use < 0:
            continue
        load = code.find("[System.Reflection.Assembly]::Load('System.Security, Version=4.0.0.0")
        assert 0 <= load < use, f"{path.name} uses SignedCms without loading System.Security first"


def test_https_from_a_script_enables_tls12_first():
    """.NET Framework's default SecurityProtocol on Server 2012 R2 / 2016 is SSL3 | TLS 1.0 unless SchUseStrongCrypto
    is set (learn.microsoft.com/dotnet/api/system.net.servicepointmanager.securityprotocol); Entra and Intune
    accept TLS 1.2 only."""
    request = ("System.Net.WebClient", "[System.Net.WebRequest]::Create", "Invoke-WebRequest", "Invoke-RestMethod")
    tls12 = ("[System.Net.ServicePointManager]::SecurityProtocol = [System.Net.ServicePointManager]::SecurityProtocol "
             "-bor [System.Net.SecurityProtocolType]::Tls12")
    for path in script_files():
        code = _code(path)
        first = min((i for i in (code.find(r) for r in request) if i >= 0), default=-1)
        if first < 0:
            continue
        assert 0 <= code.find(tls12) < first, f"{path.name} makes an HTTPS request before enabling TLS 1.2"


def test_get_winevent_never_filters_by_provider_name():
    """Get-WinEvent resolves each -FilterHashtable ProviderName before reading: one provider not registered on the
    host fails the whole query (NoMatchingProvidersFound, PowerShell's GetEventCommand.cs); XPath only filters."""
    import re
    for path in script_files():
        code = _code(path)
        assert not re.search(r"ProviderName\s*=", code) or "Get-WinEvent" not in code, path.name
