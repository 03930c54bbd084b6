# The MSCEP registry values the Intune connector reads (HKLM:\SOFTWARE\Microsoft\Cryptography\MSCEP:
# SignatureTemplate, EncryptionTemplate, GeneralPurposeTemplate = a template name). The caller derives which
# value gets which template from the SCEP key usage; this script writes exactly what it is given.
# Params: mode get|set; templates: {<value name>: <template name>}; ensure present|absent (absent puts the
# given values back to the NDES install default IPSECIntermediateOffline); owner.
# State: {exists (the MSCEP key; created by the NDES role install), values: {the three}, owner}.
param([Parameter(Mandatory)] $Params)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$mscepKey = 'HKLM:\SOFTWARE\Microsoft\Cryptography\MSCEP'
$ownersKey = 'HKLM:\SOFTWARE\Pulumi\NDES\Owners'
$mark = 'MscepTemplateMapping'
$valueNames = @('SignatureTemplate', 'EncryptionTemplate', 'GeneralPurposeTemplate')
$default = 'IPSECIntermediateOffline'
$owner = ''
if ($Params.PSObject.Properties.Name -contains 'owner' -and $Params.owner) { $owner = [string] $Params.owner }
$ensure = 'present'
if ($Params.PSObject.Properties.Name -contains 'ensure' -and $Params.ensure) { $ensure = [string] $Params.ensure }

function Get-OwnerMark {
    if (-not (Test-Path -LiteralPath $ownersKey)) { return '' }
    $key = Get-Item -LiteralPath $ownersKey
    if (-not ($key.GetValueNames() -contains $mark)) { return '' }
    return [string] $key.GetValue($mark)
}

function Read-Mscep {
    $values = @{}
    foreach ($n in $valueNames) { $values[$n] = $null }
    if (-not (Test-Path -LiteralPath $mscepKey)) { return $values }
    $key = Get-Item -LiteralPath $mscepKey
    foreach ($n in $valueNames) {
        if ($key.GetValueNames() -contains $n) { $values[$n] = [string] $key.GetValue($n) }
    }
    return $values
}

$exists = Test-Path -LiteralPath $mscepKey
$changed = $false
if ($Params.mode -eq 'set') {
    if (-not $exists) {
        throw (New-Object -TypeName System.Management.Automation.ItemNotFoundException -ArgumentList (
            'the MSCEP registry key does not exist: install the NDES role (ADCS-Device-Enrollment) first'))
    }
    $current = Read-Mscep
    foreach ($p in @($Params.templates.PSObject.Properties)) {
        if ($valueNames -notcontains $p.Name) {
            throw (New-Object -TypeName System.ArgumentException -ArgumentList ('''' + $p.Name +
                ''' is not an MSCEP template value; use ' + ($valueNames -join ', ')))
        }
        $want = [string] $p.Value
        if ($ensure -eq 'absent') { $want = $default }
        if ($current[$p.Name] -cne $want) {
            New-ItemProperty -LiteralPath $mscepKey -Name $p.Name -PropertyType String -Value $want -Force | Out-Null
            $changed = $true
        }
    }
    if ($ensure -eq 'absent') {
        if ((Get-OwnerMark) -ne '') { Remove-ItemProperty -LiteralPath $ownersKey -Name $mark }
    } elseif ($owner) {
        if (-not (Test-Path -LiteralPath $ownersKey)) { New-Item -Path $ownersKey -Force | Out-Null }
        New-ItemProperty -LiteralPath $ownersKey -Name $mark -PropertyType String -Value $owner -Force | Out-Null
    }
}
@{
    changed = $changed
    state = @{ exists = [bool] $exists; values = (Read-Mscep); owner = (Get-OwnerMark) }
    rebootRequired = $false
    warnings = @()
}
