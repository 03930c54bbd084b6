# CaCertificate (read-only): the CA's current signing certificate (what `certutil -ca.cert` exports) and the
# root of its chain, from the CA's configuration (CACertHash) and the LocalMachine\My store, chain built by .NET.
# Params: mode get, caName. State: exists, issuing {...}, root {...}; each: derBase64, pem, thumbprint, subject,
# notAfter (UTC, ISO 8601), selfSigned.
param([Parameter(Mandatory)] $Params)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

function ConvertTo-CertFacts($Cert) {
    $der = $Cert.Export([System.Security.Cryptography.X509Certificates.X509ContentType]::Cert)
    $b64 = [Convert]::ToBase64String($der)
    $lines = for ($i = 0; $i -lt $b64.Length; $i += 64) { $b64.Substring($i, [Math]::Min(64, $b64.Length - $i)) }
    $pem = "-----BEGIN CERTIFICATE-----`n" + ($lines -join "`n") + "`n-----END CERTIFICATE-----`n"
    return @{
        derBase64 = $b64; pem = $pem; thumbprint = $Cert.Thumbprint.ToUpperInvariant(); subject = $Cert.Subject
        notAfter = $Cert.NotAfter.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ')
        selfSigned = ($Cert.Subject -eq $Cert.Issuer)
    }
}

$key = Join-Path -Path 'HKLM:\SYSTEM\CurrentControlSet\Services\CertSvc\Configuration' -ChildPath $Params.caName
if (-not (Test-Path -LiteralPath $key)) {
    return @{ changed = $false; rebootRequired = $false; warnings = @(); state = @{ exists = $false } }
}
$hashes = @((Get-ItemProperty -LiteralPath $key -Name 'CACertHash').CACertHash)
$thumb = ($hashes[$hashes.Count - 1] -replace '\s', '').ToUpperInvariant()   # the current CA certificate
$cert = Get-Item -LiteralPath (Join-Path -Path 'Cert:\LocalMachine\My' -ChildPath $thumb)
$chain = New-Object -TypeName System.Security.Cryptography.X509Certificates.X509Chain
$chain.ChainPolicy.RevocationMode = [System.Security.Cryptography.X509Certificates.X509RevocationMode]::NoCheck
$null = $chain.Build($cert)
$elements = $chain.ChainElements
$root = $elements[$elements.Count - 1].Certificate
return @{
    changed = $false; rebootRequired = $false; warnings = @()
    state = @{ exists = $true; issuing = (ConvertTo-CertFacts $cert); root = (ConvertTo-CertFacts $root) }
}
