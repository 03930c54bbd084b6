param([Parameter(Mandatory)] $Params)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
# HttpSslCertUpdate: give an EXISTING HTTP.sys SSL binding another certificate in place, with no moment without
# a binding: netsh http update sslcert (HttpUpdateServiceConfiguration, HttpServiceConfigSSLCertInfo). Returns
# netsh's raw output and exit code; Python decides what they mean. Every value was validated in Python and is
# validated again here, then passed as one argument each (never a command string).
# Contract: ndes/windows/contracts/http_ssl_cert_update.py.

$ipport = [string] $Params.ipport
$certhash = [string] $Params.certhash
$appid = [string] $Params.appid
if ($ipport -notmatch '^(?:(?:\d{1,3}\.){3}\d{1,3}|\[[0-9A-Fa-f:.]+\]):\d{1,5}$') {
    throw ('not an HTTP.sys ipport: {0}' -f $ipport)
}
if ($certhash -cnotmatch '^[0-9A-F]{40}$') { throw ('not a certificate thumbprint: {0}' -f $certhash) }
if ($appid -notmatch '^\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}$') {
    throw ('not a braced GUID: {0}' -f $appid)
}
if (-not (Test-Path -LiteralPath (Join-Path -Path 'Cert:\LocalMachine\My' -ChildPath $certhash))) {
    throw ('the certificate {0} is not in LocalMachine\My' -f $certhash)
}
$output = @(netsh.exe http update sslcert ('ipport=' + $ipport) ('certhash=' + $certhash) ('appid=' + $appid) 'certstorename=MY')
$code = [int] $LASTEXITCODE
$lines = @($output | ForEach-Object { [string] $_ })
New-Result -State @{ exitCode = $code; output = $lines } -Changed ($code -eq 0)
