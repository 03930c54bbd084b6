param([Parameter(Mandatory)] $Params)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
# CaAccess: the "Request Certificates" right (Enroll 0x200; Read 0x100 is implied) of one account in the
# Enterprise CA's own security descriptor: value Security (REG_BINARY, self-relative SD) of the active CA's key,
# found through CertSvc\Configuration value Active (the key is the SANITIZED CA name, never the common name).
# Read-modify-write of ONE access-allowed ACE (the account's); CertSvc is restarted only when the descriptor
# changed (the CA reads it at start). Contract: ndes/windows/contracts/ca_access.py (the client decides whether
# the active CA is the one it configured, from commonName). Owner marks and New-Result come from the prelude.

$enroll = 0x200
$configRoot = 'HKLM:\SYSTEM\CurrentControlSet\Services\CertSvc\Configuration'
$mark = 'CaAccess:' + [string]$Params.caName + ':' + [string]$Params.account
$none = @{ exists = $false; configKey = ''; commonName = ''; present = $false; mask = 0; denied = $false
    accountSid = ''; restarted = $false; owner = '' }

$active = ''
if (Test-Path -LiteralPath $configRoot) {
    $active = [string] (Get-Param (Get-ItemProperty -LiteralPath $configRoot) 'Active' '')
}
$key = ''
if ($active) { $key = Join-Path -Path $configRoot -ChildPath $active }
if (-not $active -or -not (Test-Path -LiteralPath $key)) {
    $none.owner = Get-OwnerMark $mark
    return New-Result -State $none
}
$commonName = [string] (Get-Param (Get-ItemProperty -LiteralPath $key) 'CommonName' '')
if ($Params.mode -eq 'set' -and $commonName -ne [string]$Params.caName) {
    throw ('the active certification authority on this host is {0}, not {1}' -f $commonName, $Params.caName)
}

if ($Params.accountSid) {
    $sid = New-Object -TypeName System.Security.Principal.SecurityIdentifier -ArgumentList $Params.accountSid
} else {
    $nt = New-Object -TypeName System.Security.Principal.NTAccount -ArgumentList $Params.account
    $sid = $nt.Translate([System.Security.Principal.SecurityIdentifier])
}

$bytes = [byte[]](Get-ItemProperty -LiteralPath $key -Name 'Security').Security
$sd = New-Object -TypeName System.Security.AccessControl.RawSecurityDescriptor -ArgumentList $bytes, 0
$dacl = $sd.DiscretionaryAcl

function Find-Ace($Acl, $Sid, $Qualifier) {
    for ($i = 0; $i -lt $Acl.Count; $i++) {
        $ace = $Acl[$i]
        if ($ace -is [System.Security.AccessControl.CommonAce] -and $ace.SecurityIdentifier -eq $Sid -and
            $ace.AceQualifier -eq $Qualifier -and -not ($ace.AceFlags -band [System.Security.AccessControl.AceFlags]::InheritOnly)) {
            return $i
        }
    }
    return -1
}

$allowQ = [System.Security.AccessControl.AceQualifier]::AccessAllowed
$denyQ = [System.Security.AccessControl.AceQualifier]::AccessDenied
$allowAt = Find-Ace $dacl $sid $allowQ
$denyAt = Find-Ace $dacl $sid $denyQ
$mask = 0
if ($allowAt -ge 0) { $mask = $dacl[$allowAt].AccessMask }
$denied = ($denyAt -ge 0) -and (($dacl[$denyAt].AccessMask -band $enroll) -ne 0)
$present = ($mask -band $enroll) -ne 0
$changed = $false
$restarted = $false
$warnings = @()

if ($Params.mode -eq 'set') {
    if ($Params.ensure -eq 'present' -and -not $present) {
        if ($allowAt -ge 0) {
            $dacl[$allowAt].AccessMask = $mask -bor $enroll
        } else {
            $ace = New-Object -TypeName System.Security.AccessControl.CommonAce -ArgumentList @(
                [System.Security.AccessControl.AceFlags]::None, $allowQ, $enroll, $sid, $false, $null)
            $dacl.InsertAce($dacl.Count, $ace)
        }
        $changed = $true
    }
    if ($Params.ensure -eq 'present') { Set-OwnerMark $mark ([string]$Params.owner) }
    if ($Params.ensure -eq 'absent') { Clear-OwnerMark $mark }
    if ($Params.ensure -eq 'absent' -and $present) {
        $rest = $mask -band (-bnot $enroll)
        if (($rest -band (-bnot 0x100)) -eq 0) {
            $dacl.RemoveAce($allowAt)   # only Enroll (+ the Read it implies): the ACE was ours
        } else {
            $dacl[$allowAt].AccessMask = $rest
        }
        $changed = $true
    }
    if ($changed) {
        $out = New-Object -TypeName 'byte[]' -ArgumentList $sd.BinaryLength
        $sd.GetBinaryForm($out, 0)
        Set-ItemProperty -LiteralPath $key -Name 'Security' -Value $out -Type Binary
        Restart-Service -Name 'CertSvc' -Force
        $restarted = $true
        $allowAt = Find-Ace $dacl $sid $allowQ
        $mask = 0
        if ($allowAt -ge 0) { $mask = $dacl[$allowAt].AccessMask }
        $present = ($mask -band $enroll) -ne 0
    }
    if ($denied) {
        $warnings += 'a deny ACE for Request Certificates on the CA overrides the allow for this account'
    }
}

$state = @{ exists = $true; configKey = $active; commonName = $commonName; present = $present; mask = [int]$mask
    denied = $denied; accountSid = $sid.Value; restarted = $restarted; owner = (Get-OwnerMark $mark) }
New-Result -State $state -Changed $changed -Warnings $warnings
