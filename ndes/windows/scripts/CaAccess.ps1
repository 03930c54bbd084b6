# CaAccess: the "Request Certificates" right (Enroll 0x200; Read 0x100 is implied) of one account in the
# Enterprise CA's own security descriptor, HKLM:\SYSTEM\CurrentControlSet\Services\CertSvc\Configuration\<CA>
# value Security (REG_BINARY, self-relative SD). Read-modify-write of ONE access-allowed ACE (the account's);
# CertSvc is restarted only when the descriptor changed (the CA reads it at start).
# Params: mode get|set, ensure present|absent, caName, account (DOMAIN\name), accountSid (optional).
# State: exists (the CA key), present (the ACE grants Enroll), mask, denied (a deny ACE for Enroll exists),
#        accountSid, restarted.
param([Parameter(Mandatory)] $Params)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$ownerKey = 'HKLM:\SOFTWARE\Pulumi\NDES\Owners'
function Get-OwnerMark($Mark) {
    if (Test-Path -LiteralPath $ownerKey) {
        $p = Get-ItemProperty -LiteralPath $ownerKey
        if ($p.PSObject.Properties[$Mark]) { return [string]$p.PSObject.Properties[$Mark].Value }
    }
    return ''
}
function Set-OwnerMark($Mark, $Owner) {
    if (-not $Owner) { return }
    if (-not (Test-Path -LiteralPath $ownerKey)) { $null = New-Item -Path $ownerKey -Force }
    Set-ItemProperty -LiteralPath $ownerKey -Name $Mark -Value ([string]$Owner)
}
function Clear-OwnerMark($Mark) {
    if ((Get-OwnerMark $Mark) -ne '') { Remove-ItemProperty -LiteralPath $ownerKey -Name $Mark }
}
$ownerValue = ''
if ($Params.PSObject.Properties['owner'] -and $Params.owner) { $ownerValue = [string]$Params.owner }
$mark = 'CaAccess:' + [string]$Params.caName + ':' + [string]$Params.account

$enroll = 0x200
$configRoot = 'HKLM:\SYSTEM\CurrentControlSet\Services\CertSvc\Configuration'
$key = Join-Path -Path $configRoot -ChildPath $Params.caName
if (-not (Test-Path -LiteralPath $key)) {
    return @{ changed = $false; rebootRequired = $false; warnings = @()
        state = @{ exists = $false; present = $false; mask = 0; denied = $false; accountSid = ''; restarted = $false } }
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
    $ensure = 'present'
    if ($Params.ensure) { $ensure = $Params.ensure }
    if ($ensure -eq 'present' -and -not $present) {
        if ($allowAt -ge 0) {
            $dacl[$allowAt].AccessMask = $mask -bor $enroll
        } else {
            $ace = New-Object -TypeName System.Security.AccessControl.CommonAce -ArgumentList @(
                [System.Security.AccessControl.AceFlags]::None, $allowQ, $enroll, $sid, $false, $null)
            $dacl.InsertAce($dacl.Count, $ace)
        }
        $changed = $true
    }
    if ($ensure -eq 'present' -and $ownerValue -and (Get-OwnerMark $mark) -ne $ownerValue) { Set-OwnerMark $mark $ownerValue }
    if ($ensure -eq 'absent') { Clear-OwnerMark $mark }
    if ($ensure -eq 'absent' -and $present) {
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

return @{
    changed = $changed; rebootRequired = $false; warnings = $warnings
    state = @{ exists = $true; owner = (Get-OwnerMark $mark); present = $present; mask = [int]$mask; denied = $denied; accountSid = $sid.Value
        restarted = $restarted }
}
