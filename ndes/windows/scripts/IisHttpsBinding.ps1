# IisHttpsBinding: the https binding of an IIS site (Default Web Site) on a port (443) with an EMPTY host name
# (the IIS dialog fills in the machine name: a reader of the guide lost hours to it) and a certificate from
# LocalMachine\My by thumbprint, SslFlags 0. get reports the site's binding on that port (the one without a
# host name when there are several): a host name set by hand shows as hostName.
# Params: mode get|set, ensure present|absent, siteName, port, ipAddress ('*'), hostName (''), thumbprint, sslFlags.
param([Parameter(Mandatory)] $Params)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
Import-Module -Name 'WebAdministration'

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
$mark = 'IisHttpsBinding:' + [string]$Params.siteName + ':' + [string]$Params.port

$site = [string]$Params.siteName
$port = [int]$Params.port

function Get-Target {
    $all = @(Get-WebBinding -Name $site -Protocol 'https' -Port $port)
    $empty = @($all | Where-Object { ($_.bindingInformation -split ':', 3)[2] -eq '' })
    if ($empty.Count -gt 0) { return $empty[0] }
    if ($all.Count -gt 0) { return $all[0] }
    return $null
}

function ConvertTo-State($Binding) {
    if ($null -eq $Binding) {
        return @{ exists = $false; siteExists = [bool](Get-Website -Name $site); hostName = ''; thumbprint = '' }
    }
    $parts = $Binding.bindingInformation -split ':', 3
    return @{
        exists = $true; siteExists = $true; bindingInformation = $Binding.bindingInformation
        ipAddress = $parts[0]; port = [int]$parts[1]; hostName = $parts[2]
        thumbprint = ([string]$Binding.certificateHash).ToUpperInvariant(); storeName = [string]$Binding.certificateStoreName
        sslFlags = [int]$Binding.sslFlags
    }
}

$binding = Get-Target
$changed = $false
if ($Params.mode -eq 'set') {
    $ensure = 'present'
    if ($Params.ensure) { $ensure = $Params.ensure }
    $want = [string]$Params.hostName
    if ($ensure -eq 'absent') {
        if ($null -ne $binding -and ([string]$binding.certificateHash).ToUpperInvariant() -eq [string]$Params.thumbprint) {
            $parts = $binding.bindingInformation -split ':', 3
            $binding.RemoveSslCertificate()
            Remove-WebBinding -Name $site -Protocol 'https' -Port $port -IPAddress $parts[0] -HostHeader $parts[2]
            $changed = $true
        }
        Clear-OwnerMark $mark
    } else {
        if (-not (Get-Website -Name $site)) { throw ('the IIS site {0} does not exist' -f $site) }
        if (-not (Test-Path -LiteralPath (Join-Path -Path 'Cert:\LocalMachine\My' -ChildPath $Params.thumbprint))) {
            throw ('the certificate {0} is not in LocalMachine\My' -f $Params.thumbprint)
        }
        if ($null -ne $binding) {
            $parts = $binding.bindingInformation -split ':', 3
            if ($parts[2] -ne $want -or $parts[0] -ne $Params.ipAddress -or [int]$binding.sslFlags -ne [int]$Params.sslFlags) {
                if ([string]$binding.certificateHash) { $binding.RemoveSslCertificate() }
                Remove-WebBinding -Name $site -Protocol 'https' -Port $port -IPAddress $parts[0] -HostHeader $parts[2]
                $binding = $null
                $changed = $true
            }
        }
        if ($null -eq $binding) {
            New-WebBinding -Name $site -Protocol 'https' -Port $port -IPAddress $Params.ipAddress -HostHeader $want `
                -SslFlags ([int]$Params.sslFlags)
            $binding = Get-Target
            $changed = $true
        }
        if (([string]$binding.certificateHash).ToUpperInvariant() -ne [string]$Params.thumbprint) {
            if ([string]$binding.certificateHash) { $binding.RemoveSslCertificate() }
            $binding.AddSslCertificate([string]$Params.thumbprint, 'My')
            $changed = $true
        }
        Set-OwnerMark $mark $ownerValue
    }
    $binding = Get-Target
}
$state = ConvertTo-State $binding
$state.owner = Get-OwnerMark $mark
return @{ changed = $changed; rebootRequired = $false; warnings = @(); state = $state }
