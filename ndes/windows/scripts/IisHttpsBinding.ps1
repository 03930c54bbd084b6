param([Parameter(Mandatory)] $Params)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
# IisHttpsBinding: the https bindings of one IIS site on one port as raw facts (bindingInformation, certificate,
# SslFlags), and the primitive actions the client decided on, each naming the exact binding element
# (bindingInformation ip:port:host) it acts on: remove (Remove-WebBinding -BindingInformation), create
# (New-WebBinding), certificate (AddSslCertificate from LocalMachine\My). Contract and decisions:
# ndes/windows/contracts/iis_https_binding.py. Owner marks and New-Result come from the prelude.
Import-Module -Name 'WebAdministration'

$site = [string]$Params.siteName
$port = [int]$Params.port
$mark = 'IisHttpsBinding:' + $site + ':' + [string]$Params.port

function Get-Https {
    return @(Get-WebBinding -Name $site -Protocol 'https' -Port $port)
}

function Find-Binding([string] $Info) {
    foreach ($b in (Get-Https)) { if ($b.bindingInformation -eq $Info) { return $b } }
    return $null
}

$changed = $false
if ($Params.mode -eq 'set') {
    foreach ($action in @($Params.actions)) {
        $info = [string]$action.bindingInformation
        if ($action.kind -eq 'remove') {
            $b = Find-Binding $info
            if ($null -ne $b) {
                if ([string]$b.certificateHash) { $b.RemoveSslCertificate() }
                Remove-WebBinding -Name $site -Protocol 'https' -BindingInformation $info
                $changed = $true
            }
        } elseif ($action.kind -eq 'create') {
            if (-not (Get-Website -Name $site)) { throw ('the IIS site {0} does not exist' -f $site) }
            $parts = $info -split ':', 3
            New-WebBinding -Name $site -Protocol 'https' -IPAddress $parts[0] -Port ([int]$parts[1]) `
                -HostHeader $parts[2] -SslFlags ([int]$action.sslFlags)
            $changed = $true
        } elseif ($action.kind -eq 'certificate') {
            $thumbprint = [string]$action.thumbprint
            if (-not (Test-Path -LiteralPath (Join-Path -Path 'Cert:\LocalMachine\My' -ChildPath $thumbprint))) {
                throw ('the certificate {0} is not in LocalMachine\My' -f $thumbprint)
            }
            $b = Find-Binding $info
            if ($null -eq $b) { throw ('the https binding {0} of {1} does not exist' -f $info, $site) }
            if ([string]$b.certificateHash) { $b.RemoveSslCertificate() }
            $b.AddSslCertificate($thumbprint, 'My')
            $changed = $true
        }
    }
    if ($Params.ownerAction -eq 'set') { Set-OwnerMark $mark ([string]$Params.owner) }
    if ($Params.ownerAction -eq 'clear') { Clear-OwnerMark $mark }
}

$bindings = @()
foreach ($b in (Get-Https)) {
    $bindings += @{ bindingInformation = [string]$b.bindingInformation
        thumbprint = ([string]$b.certificateHash).ToUpperInvariant(); storeName = [string]$b.certificateStoreName
        sslFlags = [int]$b.sslFlags }
}
$certificatePresent = $false
if ($Params.thumbprint) {
    $certificatePresent = Test-Path -LiteralPath (Join-Path -Path 'Cert:\LocalMachine\My' -ChildPath ([string]$Params.thumbprint))
}
$state = @{ siteExists = [bool](Get-Website -Name $site); bindings = $bindings; certificatePresent = $certificatePresent
    owner = (Get-OwnerMark $mark) }
New-Result -State $state -Changed $changed
