# Registry values under HKLM (e.g. HTTP.sys MaxFieldLength / MaxRequestBytes).
# Params: mode get|set; values: [{path, name, type, value}] (type String|ExpandString|DWord|QWord|MultiString|
# Binary; Binary value = hex text); ensure present|absent; markRebootPending (a change needs a restart);
# owner, mark (owner mark name under HKLM:\SOFTWARE\Pulumi\NDES\Owners).
# State: {values: [{path, name, exists, type, value}], owner}.
param([Parameter(Mandatory)] $Params)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

# Get-Param, the owner marks, Get-BootId and Set-RebootMark come from the prelude (_prelude.ps1).
$kinds = @('String', 'ExpandString', 'DWord', 'QWord', 'MultiString', 'Binary')

function Read-Value([string] $Path, [string] $Name) {
    $out = @{ path = $Path; name = $Name; exists = $false; type = $null; value = $null }
    if (-not (Test-Path -LiteralPath $Path)) { return $out }
    $key = Get-Item -LiteralPath $Path
    if (-not ($key.GetValueNames() -contains $Name)) { return $out }
    $kind = $key.GetValueKind($Name).ToString()
    $raw = $key.GetValue($Name, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
    $out.exists = $true
    $out.type = $kind
    switch ($kind) {
        'DWord' { $out.value = [BitConverter]::ToUInt32([BitConverter]::GetBytes([int32] $raw), 0) }
        'QWord' { $out.value = [int64] $raw }
        'MultiString' { $out.value = @($raw) }
        'Binary' { $out.value = (@($raw) | ForEach-Object { $_.ToString('x2') }) -join '' }
        default { $out.value = [string] $raw }
    }
    return $out
}

function ConvertTo-RegistryData([string] $Kind, $Value) {
    switch ($Kind) {
        'DWord' { return [BitConverter]::ToInt32([BitConverter]::GetBytes([uint32] $Value), 0) }
        'QWord' { return [int64] $Value }
        'MultiString' { return [string[]] @($Value) }
        'Binary' {
            $hex = [string] $Value
            if ($hex.Length % 2 -ne 0 -or $hex -notmatch '^[0-9a-fA-F]*$') {
                throw "binary value '$hex' is not hex text"
            }
            $bytes = New-Object -TypeName byte[] -ArgumentList ($hex.Length / 2)
            for ($i = 0; $i -lt $bytes.Length; $i++) { $bytes[$i] = [Convert]::ToByte($hex.Substring(2 * $i, 2), 16) }
            return , $bytes
        }
        default { return [string] $Value }
    }
}

function Test-Same($Current, [string] $Kind, $Value) {
    if (-not $Current.exists -or $Current.type -ne $Kind) { return $false }
    switch ($Kind) {
        'MultiString' { return ((@($Current.value) -join "`n") -ceq (@($Value) -join "`n")) -and
            (@($Current.value).Count -eq @($Value).Count) }
        'Binary' { return ([string] $Current.value) -eq ([string] $Value).ToLowerInvariant() }
        'DWord' { return [uint32] $Current.value -eq [uint32] $Value }
        'QWord' { return [int64] $Current.value -eq [int64] $Value }
        default { return ([string] $Current.value) -ceq ([string] $Value) }
    }
}

$mode = $Params.mode
$ensure = Get-Param $Params 'ensure' 'present'
$mark = [string] (Get-Param $Params 'mark' '')
$owner = [string] (Get-Param $Params 'owner' '')
$changed = $false
$rebootRequired = $false

foreach ($v in @($Params.values)) {
    $path = [string] $v.path
    $name = [string] $v.name
    if (-not $path.StartsWith('HKLM:\', [StringComparison]::OrdinalIgnoreCase)) {
        throw "registry path '$path' must start with HKLM:\"
    }
    if ($mode -ne 'set') { continue }
    $current = Read-Value $path $name
    if ($ensure -eq 'absent') {
        if ($current.exists) {
            Remove-ItemProperty -LiteralPath $path -Name $name
            $changed = $true
        }
        continue
    }
    $kind = [string] $v.type
    if ($kinds -notcontains $kind) { throw "registry type '$kind' of $path\$name is not one of $($kinds -join ', ')" }
    if (-not (Test-Same $current $kind $v.value)) {
        $data = ConvertTo-RegistryData $kind $v.value
        if (-not (Test-Path -LiteralPath $path)) { New-Item -Path $path -Force | Out-Null }
        New-ItemProperty -LiteralPath $path -Name $name -PropertyType $kind -Value $data -Force | Out-Null
        $changed = $true
    }
}

if ($mode -eq 'set') {
    if ($changed -and $ensure -ne 'absent' -and (Get-Param $Params 'markRebootPending' $false)) {
        Set-RebootMark
        $rebootRequired = $true
    }
    if ($mark) {
        if ($ensure -eq 'absent') { Clear-OwnerMark $mark } else { Set-OwnerMark $mark $owner }
    }
}

$values = @(foreach ($v in @($Params.values)) { Read-Value ([string] $v.path) ([string] $v.name) })
$ownerNow = $null
if ($mark) { $ownerNow = (Read-Value $OwnersKey $mark).value }
New-Result -State @{ values = $values; owner = $ownerNow } -Changed $changed -RebootRequired $rebootRequired
