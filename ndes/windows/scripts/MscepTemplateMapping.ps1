# The MSCEP registry values the Intune connector reads (HKLM:\SOFTWARE\Microsoft\Cryptography\MSCEP:
# SignatureTemplate, EncryptionTemplate, GeneralPurposeTemplate = a template name). The caller derives which
# value gets which template from the SCEP key usage; this script writes exactly what it is given.
# NDES reads these values when the SCEP application pool starts: with recycle = $true (Python asks for it after
# a change) the script restarts the SCEP pool (Restart-WebAppPool), so the new mapping takes effect now.
# Params: mode get|set; templates: {<value name>: <template name>}; ensure present|absent (absent puts the
# given values back to the NDES install default IPSECIntermediateOffline); owner; recycle.
# State: {exists (the MSCEP key; created by the NDES role install), values: {the three}, owner, recycled}.
param([Parameter(Mandatory)] $Params)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$mscepKey = 'HKLM:\SOFTWARE\Microsoft\Cryptography\MSCEP'
$mark = 'MscepTemplateMapping'
$valueNames = @('SignatureTemplate', 'EncryptionTemplate', 'GeneralPurposeTemplate')
$default = 'IPSECIntermediateOffline'
$owner = [string] (Get-Param $Params 'owner' '')
$ensure = [string] (Get-Param $Params 'ensure' 'present')

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
    if ($ensure -eq 'absent') { Clear-OwnerMark $mark } else { Set-OwnerMark $mark $owner }
}
$recycled = $false
if ($Params.mode -eq 'set' -and (Get-Param $Params 'recycle' $false)) {
    Import-Module -Name 'WebAdministration'
    Restart-WebAppPool -Name 'SCEP'
    $recycled = $true
    $changed = $true
}
New-Result -State @{ exists = [bool] $exists; values = (Read-Mscep); owner = (Get-OwnerMark $mark)
    recycled = $recycled } -Changed $changed
