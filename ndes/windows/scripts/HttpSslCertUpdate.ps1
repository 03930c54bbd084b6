param([Parameter(Mandatory)] $Params)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
# HttpSslCertUpdate: give an EXISTING HTTP.sys SSL binding another certificate in place, with no moment without
# a binding: netsh http update sslcert (HttpUpdateServiceConfiguration, HttpServiceConfigSSLCertInfo).
# mode read: netsh http show sslcert ipport=<ip:port>, the record's raw lines (Python decides which of its
#   settings to pass again: the update replaces the whole record, see the contract).
# mode update: netsh http update sslcert with the certificate and the settings Python decided, one argument each.
# Returns netsh's raw output and exit code; Python decides what they mean. Every value was validated in Python and
# is validated again here, then passed as one argument each (never a command string).
# Contract: ndes/windows/contracts/http_ssl_cert_update.py.

$mode = [string] $Params.mode
$ipport = [string] $Params.ipport
if ($ipport -notmatch '^(?:(?:\d{1,3}\.){3}\d{1,3}|\[[0-9A-Fa-f:.]+\]):\d{1,5}$') {
    throw ('not an HTTP.sys ipport: {0}' -f $ipport)
}
if ($mode -ceq 'read') {
    $output = @(netsh.exe http show sslcert ('ipport=' + $ipport))
    $code = [int] $LASTEXITCODE
    $lines = @($output | ForEach-Object { [string] $_ })
    New-Result -State @{ exitCode = $code; output = $lines } -Changed $false
} elseif ($mode -ceq 'update') {
    $certhash = [string] $Params.certhash
    $appid = [string] $Params.appid
    $settings = @($Params.settings | ForEach-Object { [string] $_ })
    if ($certhash -cnotmatch '^[0-9A-F]{40}$') { throw ('not a certificate thumbprint: {0}' -f $certhash) }
    if ($appid -notmatch '^\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}$') {
        throw ('not a braced GUID: {0}' -f $appid)
    }
    foreach ($setting in $settings) {
        if ($setting -cnotmatch '^(?:(?:verifyclientcertrevocation|verifyrevocationwithcachedclientcertonly|usagecheck|dsmapperusage|clientcertnegotiation|reject|disablehttp2|disablequic|disabletls12|disabletls13|disablelegacytls|disableocspstapling|enabletokenbinding|logextendedevents|enablesessionticket|disablesessionid)=(?:enable|disable)|(?:revocationfreshnesstime|urlretrievaltimeout)=[0-9]{1,10}|(?:sslctlidentifier|sslctlstorename)=[A-Za-z0-9_.-]{1,64})$') {
            throw ('not a netsh sslcert setting: {0}' -f $setting)
        }
    }
    if (-not (Test-Path -LiteralPath (Join-Path -Path 'Cert:\LocalMachine\My' -ChildPath $certhash))) {
        throw ('the certificate {0} is not in LocalMachine\My' -f $certhash)
    }
    $output = @(netsh.exe http update sslcert ('ipport=' + $ipport) ('certhash=' + $certhash) ('appid=' + $appid) 'certstorename=MY' $settings)
    $code = [int] $LASTEXITCODE
    $lines = @($output | ForEach-Object { [string] $_ })
    New-Result -State @{ exitCode = $code; output = $lines } -Changed ($code -eq 0)
} else {
    throw ('unknown mode: {0}' -f $mode)
}
