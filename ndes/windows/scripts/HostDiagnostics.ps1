# HostDiagnostics: read-only facts Microsoft's Validate-NDESConfiguration checks on an NDES host (OS, last boot,
# IE Enhanced Security Configuration, local Administrators, LocalMachine\Root, Windows features, the bare
# mscep.dll answer, outbound HTTPS reach through the system proxy). Nothing is changed.
# Contract (params, state): ndes/windows/contracts/host_diagnostics.py.
param([Parameter(Mandatory)] $Params)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

# .NET Framework's default protocols on Server 2012 R2/2016 are SSL3 and TLS 1.0 unless SchUseStrongCrypto is set
# (ServicePointManager.SecurityProtocol); Entra and Intune accept TLS 1.2 only: add it for this process.
[System.Net.ServicePointManager]::SecurityProtocol = [System.Net.ServicePointManager]::SecurityProtocol -bor [System.Net.SecurityProtocolType]::Tls12
$os = Get-CimInstance -ClassName Win32_OperatingSystem
$state = @{
    os = @{ caption = [string] $os.Caption; version = [string] $os.Version
        lastBootUpTime = $os.LastBootUpTime.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ') }
    ieEscAdmin = $null; ieEscUser = $null; administrators = @(); rootStore = @(); features = @()
    bareMscep = 0; bareMscepError = ''; outbound = @(); proxy = ''
}
$setup = 'HKLM:\SOFTWARE\Microsoft\Active Setup\Installed Components'
foreach ($pair in @(@('ieEscAdmin', '{A509B1A7-37EF-4b3f-8CFC-4F3A74704073}'), @('ieEscUser', '{A509B1A8-37EF-4b3f-8CFC-4F3A74704073}'))) {
    $key = Join-Path -Path $setup -ChildPath $pair[1]
    if (Test-Path -LiteralPath $key) {
        $item = Get-ItemProperty -LiteralPath $key
        if ($item.PSObject.Properties['IsInstalled']) { $state[$pair[0]] = [int] $item.IsInstalled }
    }
}
# ADSI WinNT, not Get-LocalGroupMember (which fails on orphaned SIDs: PowerShell issue 2996)
$group = New-Object -TypeName System.DirectoryServices.DirectoryEntry -ArgumentList 'WinNT://./Administrators,group'
foreach ($member in @($group.Invoke('Members'))) {
    $entry = New-Object -TypeName System.DirectoryServices.DirectoryEntry -ArgumentList @(, $member)
    $state.administrators += [string] $entry.Path
}
$state.rootStore = @(Get-ChildItem -LiteralPath 'Cert:\LocalMachine\Root' | ForEach-Object { [Convert]::ToBase64String($_.RawData) })
foreach ($name in @($Params.features)) {
    $feature = Get-WindowsFeature -Name ([string] $name)
    $state.features += @{ name = [string] $name; installed = ($null -ne $feature -and [bool] $feature.Installed) }
}
try {
    $request = [System.Net.WebRequest]::Create('https://' + [string] $Params.hostFqdn + '/certsrv/mscep/mscep.dll')
    $response = $request.GetResponse()
    $state.bareMscep = [int] $response.StatusCode
    $response.Close()
} catch [System.Net.WebException] {
    if ($null -ne $_.Exception.Response) { $state.bareMscep = [int] $_.Exception.Response.StatusCode }
    else { $state.bareMscepError = $_.Exception.Message }
}
$endpoints = @($Params.endpoints)
if ($endpoints.Count -gt 0) {
    $first = New-Object -TypeName System.Uri -ArgumentList ([string] $endpoints[0])
    $via = [System.Net.WebRequest]::DefaultWebProxy.GetProxy($first)
    if ($via.AbsoluteUri -ne $first.AbsoluteUri) { $state.proxy = [string] $via.AbsoluteUri }
}
foreach ($url in $endpoints) {
    try {
        $request = [System.Net.WebRequest]::Create([string] $url)
        $request.Timeout = 15000
        $response = $request.GetResponse()
        $response.Close()
        $state.outbound += @{ url = [string] $url; reached = $true; error = '' }
    } catch [System.Net.WebException] {
        $reached = $null -ne $_.Exception.Response
        $state.outbound += @{ url = [string] $url; reached = $reached; error = $(if ($reached) { '' } else { $_.Exception.Message }) }
    }
}
$state.connectorCertificate = ''
$connector = 'HKLM:\SOFTWARE\Microsoft\MicrosoftIntune\PFXCertificateConnector'
if (Test-Path -LiteralPath $connector) {
    $values = Get-ItemProperty -LiteralPath $connector
    if ($values.PSObject.Properties['EncryptionCertThumbprint']) {
        $path = Join-Path -Path 'Cert:\LocalMachine\My' -ChildPath ([string] $values.EncryptionCertThumbprint)
        if (Test-Path -LiteralPath $path) {
            $state.connectorCertificate = [Convert]::ToBase64String((Get-Item -LiteralPath $path).RawData)
        }
    }
}
$state.userRights = @{}
try {
    # one instance per GPO and right; precedence 1 is the GPO that won (the setting in effect)
    foreach ($right in @(Get-CimInstance -Namespace 'root\rsop\computer' -ClassName 'RSOP_UserPrivilegeRight')) {
        if ([int] $right.precedence -ne 1) { continue }
        $state.userRights[[string] $right.UserRight] = @($right.AccountList | ForEach-Object { [string] $_ })
    }
} catch {
    $state.userRights = @{}
}
$state.now = [DateTime]::UtcNow.ToString('yyyy-MM-ddTHH:mm:ssZ')
$state.events = @()
$queries = @(
    @('Application', "*[System[(Level=1 or Level=2) and Provider[@Name='Microsoft-Windows-NetworkDeviceEnrollmentService' or @Name='NDESConnector']]]"),
    @('Microsoft-Intune-CertificateConnectors/Admin', '*[System[(Level=1 or Level=2)]]'))
foreach ($q in $queries) {
    try {
        $query = New-Object -TypeName System.Diagnostics.Eventing.Reader.EventLogQuery -ArgumentList @(
            $q[0], [System.Diagnostics.Eventing.Reader.PathType]::LogName, $q[1])
        $query.ReverseDirection = $true
        $reader = New-Object -TypeName System.Diagnostics.Eventing.Reader.EventLogReader -ArgumentList @(, $query)
        for ($i = 0; $i -lt 20; $i++) {
            $record = $reader.ReadEvent()
            if ($null -eq $record) { break }
            $state.events += @{ log = $q[0]; provider = [string] $record.ProviderName; id = [int] $record.Id
                level = [string] $record.LevelDisplayName
                timeCreated = $record.TimeCreated.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ')
                message = [string] $record.FormatDescription() }
        }
    } catch [System.Diagnostics.Eventing.Reader.EventLogNotFoundException] {
        continue
    }
}
$state.mscepLog = @()
$logs = 'C:\inetpub\logs\LogFiles\W3SVC1'
if (Test-Path -LiteralPath $logs) {
    $newest = $null
    foreach ($file in @(Get-ChildItem -LiteralPath $logs -Filter 'u_ex*.log')) {
        if ($null -eq $newest -or $file.LastWriteTimeUtc -gt $newest.LastWriteTimeUtc) { $newest = $file }
    }
    if ($null -ne $newest) {
        $state.mscepLog = @(Get-Content -LiteralPath $newest.FullName -Tail 5000 | Where-Object { $_ -like '*mscep.dll*' } |
            Select-Object -Last 50)
    }
}
New-Result -State $state
