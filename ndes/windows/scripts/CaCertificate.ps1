param([Parameter(Mandatory)] $Params)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
# CaCertificate (read-only): the active CA's current signing certificate (what `certutil -ca.cert` exports) and
# the root of its chain. The CA's key is the one CertSvc\Configuration value Active names (the SANITIZED CA name,
# never the common name); its last CACertHash names the certificate in LocalMachine\My; the chain is built by
# .NET. Contract: ndes/windows/contracts/ca_certificate.py (the client checks commonName). New-Result and
# Get-Param come from the prelude.

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

$configRoot = 'HKLM:\SYSTEM\CurrentControlSet\Services\CertSvc\Configuration'
$active = ''
if (Test-Path -LiteralPath $configRoot) {
    $active = [string] (Get-Param (Get-ItemProperty -LiteralPath $configRoot) 'Active' '')
}
$key = ''
if ($active) { $key = Join-Path -Path $configRoot -ChildPath $active }
if (-not $active -or -not (Test-Path -LiteralPath $key)) {
    return New-Result -State @{ exists = $false }
}
$ca = Get-ItemProperty -LiteralPath $key
$hashes = @($ca.CACertHash)
$thumb = ($hashes[$hashes.Count - 1] -replace '\s', '').ToUpperInvariant()   # the current CA certificate
$cert = Get-Item -LiteralPath (Join-Path -Path 'Cert:\LocalMachine\My' -ChildPath $thumb)
$chain = New-Object -TypeName System.Security.Cryptography.X509Certificates.X509Chain
$chain.ChainPolicy.RevocationMode = [System.Security.Cryptography.X509Certificates.X509RevocationMode]::NoCheck
$null = $chain.Build($cert)
$elements = $chain.ChainElements
$root = $elements[$elements.Count - 1].Certificate
New-Result -State @{ exists = $true; configKey = $active; commonName = [string] (Get-Param $ca 'CommonName' '')
    issuing = (ConvertTo-CertFacts $cert); root = (ConvertTo-CertFacts $root) }
