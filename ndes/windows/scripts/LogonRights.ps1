param([Parameter(Mandatory)] $Params)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
# LogonRights: the [Privilege Rights] lines of the local security policy as secedit exports them (read only: the
# export goes to a temporary file, removed afterwards) and the SID Windows resolves for the service account.
# Python parses the lines and decides. Contract: ndes/windows/contracts/logon_rights.py.

$account = [string] $Params.account
$sid = ''
try {
    $nt = New-Object -TypeName System.Security.Principal.NTAccount -ArgumentList $account
    $sid = [string] $nt.Translate([System.Security.Principal.SecurityIdentifier]).Value
} catch [System.Security.Principal.IdentityNotMappedException] {
    $sid = ''
}
$file = Join-Path -Path ([System.IO.Path]::GetTempPath()) -ChildPath ('ndes-rights-' + [guid]::NewGuid().ToString('N') + '.inf')
if ($file -notmatch '^[A-Za-z]:\\[^"]*\\ndes-rights-[0-9a-f]{32}\.inf$') { throw ('unexpected export path: {0}' -f $file) }
$lines = @()
$code = 0
try {
    secedit.exe /export /areas USER_RIGHTS /cfg $file /quiet | Out-Null
    $code = [int] $LASTEXITCODE
    if (Test-Path -LiteralPath $file) {
        $inRights = $false
        foreach ($line in @(Get-Content -LiteralPath $file)) {
            $text = [string] $line
            if ($text -match '^\s*\[') { $inRights = ($text.Trim() -eq '[Privilege Rights]'); continue }
            if ($inRights -and $text.Trim()) { $lines += $text }
        }
    }
} finally {
    if (Test-Path -LiteralPath $file) { Remove-Item -LiteralPath $file -Force }
}
New-Result -State @{ accountSid = $sid; exitCode = $code; privilegeRights = $lines }
