param([Parameter(Mandatory)] $Params)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
# HostPrep: the one-time preparation of a Windows host, run ONCE by an administrator ON the host (console or RDP),
# before the first `pulumi preview`: there is no WinRM HTTPS listener yet, so it cannot come over WinRM. Unlike
# the other scripts it runs stand-alone (no bootstrap, no prelude), and $Params is the base64 UTF-8 JSON document
# `ndes host-prep --host <fqdn>` printed (ndes/host_prep.py decides every value; this script only acts):
#   hostName, thumbprint ('' = enroll one), template, subjectName, dnsNames, port, managementRange,
#   ruleName, ruleDisplayName, profile
# It does three things and nothing else:
#   1. the WinRM service runs and starts with the host;
#   2. a server certificate in LocalMachine\My: the given thumbprint, or one enrolled from the domain's
#      Enterprise CA with the computer template (Get-Certificate, machine context);
#   3. a WinRM HTTPS listener on every address with that certificate (created, or its certificate replaced), and
#      an inbound firewall rule for the listener's port from the management range only.
# Re-running it changes nothing that is already so. Output: one JSON document (what it found and what it did).

$json = [System.Text.Encoding]::UTF8.GetString([System.Convert]::FromBase64String([string] $Params))
$p = ConvertFrom-Json -InputObject $json
$hostName = [string] $p.hostName
$port = [int] $p.port
$done = New-Object -TypeName System.Collections.ArrayList
$warnings = New-Object -TypeName System.Collections.ArrayList

# 1. the WinRM service
$svc = Get-Service -Name 'WinRM'
if ([string] $svc.StartType -ne 'Automatic') {
    Set-Service -Name 'WinRM' -StartupType Automatic
    [void] $done.Add('WinRM service set to start automatically')
}
if ([string] $svc.Status -ne 'Running') {
    Start-Service -Name 'WinRM'
    [void] $done.Add('WinRM service started')
}

# 2. the certificate
$now = [DateTime]::Now
$cert = $null
$wanted = [string] $p.thumbprint
if ($wanted) {
    $cert = Get-Item -LiteralPath (Join-Path -Path 'Cert:\LocalMachine\My' -ChildPath $wanted) -ErrorAction SilentlyContinue
    if ($null -eq $cert) {
        throw ('no certificate with thumbprint ' + $wanted + ' in Cert:\LocalMachine\My on this host')
    }
} else {
    # a CA-issued, unexpired Server Authentication certificate naming this host, with its private key
    $found = @(Get-ChildItem -LiteralPath 'Cert:\LocalMachine\My' -SSLServerAuthentication -DnsName $hostName |
        Where-Object { $_.HasPrivateKey -and $_.NotAfter -gt $now -and $_.Issuer -ne $_.Subject })
    foreach ($c in $found) {
        if ($null -eq $cert -or $c.NotAfter -gt $cert.NotAfter) { $cert = $c }   # the one that lasts longest
    }
    if ($null -eq $cert) {
        $enrolled = Get-Certificate -Template ([string] $p.template) -SubjectName ([string] $p.subjectName) `
            -DnsName ([string[]] $p.dnsNames) -CertStoreLocation 'Cert:\LocalMachine\My'
        if ([string] $enrolled.Status -ne 'Issued') {
            throw ('the CA did not issue the certificate (status ' + [string] $enrolled.Status + '): ask a CA ' +
                'administrator, or pass a certificate with ndes host-prep --thumbprint')
        }
        $cert = $enrolled.Certificate
        [void] $done.Add('certificate ' + $cert.Thumbprint + ' enrolled from template ' + [string] $p.template)
    }
}
if (-not $cert.HasPrivateKey) { throw ('certificate ' + $cert.Thumbprint + ' has no private key on this host') }
if ($cert.NotAfter -le $now) { throw ('certificate ' + $cert.Thumbprint + ' expired on ' + $cert.NotAfter) }

# 3a. the HTTPS listener, through the WinRM automation API (the listener's values are XML text nodes)
$wsman = New-Object -ComObject 'WSMan.Automation'
$session = $wsman.CreateSession()
$resource = 'winrm/config/Listener?Address=*+Transport=HTTPS'
$current = $null
$enum = $session.Enumerate('winrm/config/Listener')
while (-not $enum.AtEndOfStream) {
    $item = [xml] $enum.ReadItem()
    if ([string] $item.Listener.Transport -eq 'HTTPS' -and [string] $item.Listener.Address -eq '*') { $current = $item }
}
$ns = 'http://schemas.microsoft.com/wbem/wsman/1/config/listener'
$doc = New-Object -TypeName System.Xml.XmlDocument
$root = $doc.CreateElement('p', 'Listener', $ns)
[void] $doc.AppendChild($root)
foreach ($pair in @(@('Hostname', $hostName), @('Enabled', 'true'), @('Port', [string] $port),
        @('CertificateThumbprint', $cert.Thumbprint))) {
    $el = $doc.CreateElement('p', $pair[0], $ns)
    $el.InnerText = $pair[1]
    [void] $root.AppendChild($el)
}
if ($null -eq $current) {
    [void] $session.Create($resource, $doc.OuterXml, 0)
    [void] $done.Add('WinRM HTTPS listener created on port ' + $port)
} elseif ([string] $current.Listener.CertificateThumbprint -ne $cert.Thumbprint -or
          [string] $current.Listener.Hostname -ne $hostName -or [string] $current.Listener.Port -ne [string] $port) {
    [void] $session.Put($resource, $doc.OuterXml, 0)
    [void] $done.Add('WinRM HTTPS listener updated (certificate ' + $cert.Thumbprint + ')')
}

# 3b. the firewall rule: the listener's port, inbound, from the management range only
$rule = Get-NetFirewallRule -Name ([string] $p.ruleName) -ErrorAction SilentlyContinue
if ($null -eq $rule) {
    New-NetFirewallRule -Name ([string] $p.ruleName) -DisplayName ([string] $p.ruleDisplayName) -Direction Inbound `
        -Protocol TCP -LocalPort $port -RemoteAddress ([string[]] $p.managementRange) -Action Allow `
        -Profile ([string] $p.profile) | Out-Null
    [void] $done.Add('firewall rule ' + [string] $p.ruleName + ' created')
} else {
    [void] $warnings.Add('firewall rule ' + [string] $p.ruleName + ' exists and was left as it is: check that ' +
        'its remote addresses are the management range')
}

$result = @{
    changed = ($done.Count -gt 0)
    state = @{ hostName = $hostName; thumbprint = $cert.Thumbprint; port = $port; ruleName = [string] $p.ruleName }
    done = @($done)
    warnings = @($warnings)
}
ConvertTo-Json -InputObject $result -Depth 4
