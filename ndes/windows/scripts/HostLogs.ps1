param([Parameter(Mandatory)] $Params)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
# HostLogs: read only. The newest NDES and connector errors (Get-WinEvent -FilterXPath, -MaxEvents) and the
# last mscep.dll lines of the site's newest IIS W3C log with its header lines, raw. Python scrubs and bounds them.
# Contract: ndes/windows/contracts/host_logs.py.

$maxEvents = [int] $Params.maxEvents
$maxLines = [int] $Params.maxLines
$siteId = [int] $Params.siteId
if ($maxEvents -lt 1 -or $maxEvents -gt 100 -or $maxLines -lt 1 -or $maxLines -gt 500 -or $siteId -lt 1) {
    throw 'maxEvents (1..100), maxLines (1..500) and siteId (>= 1) are out of range'
}
# XPath, not -FilterHashtable's ProviderName: Get-WinEvent resolves each ProviderName first and a provider that is
# not registered on the host (NDESConnector, the legacy connector's, is absent on most) fails the whole query
# (NoMatchingProvidersFound, PowerShell's GetEventCommand); an XPath provider test is only a filter.
$queries = @(
    @('Application', "*[System[(Level=1 or Level=2) and Provider[@Name='Microsoft-Windows-NetworkDeviceEnrollmentService' or @Name='NDESConnector']]]"),
    @('Microsoft-Intune-CertificateConnectors/Admin', '*[System[(Level=1 or Level=2)]]'))
$events = @()
$eventErrors = @()
foreach ($q in $queries) {
    try {
        foreach ($record in @(Get-WinEvent -LogName $q[0] -FilterXPath $q[1] -MaxEvents $maxEvents -ErrorAction Stop)) {
            $events += @{ logName = [string] $record.LogName; id = [int] $record.Id
                providerName = [string] $record.ProviderName; levelDisplayName = [string] $record.LevelDisplayName
                timeCreated = $record.TimeCreated.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ')
                message = [string] $record.Message }
        }
    } catch {
        $eventErrors += @{ logName = [string] $q[0]; errorId = [string] $_.FullyQualifiedErrorId
            message = [string] $_.Exception.Message }
    }
}
$iisLog = @{ file = ''; header = @(); lines = @() }
$dir = Join-Path -Path 'C:\inetpub\logs\LogFiles' -ChildPath ('W3SVC' + [string] $siteId)
if (Test-Path -LiteralPath $dir) {
    $newest = $null
    foreach ($file in @(Get-ChildItem -LiteralPath $dir -Filter 'u_ex*.log')) {
        if ($null -eq $newest -or $file.LastWriteTimeUtc -gt $newest.LastWriteTimeUtc) { $newest = $file }
    }
    if ($null -ne $newest) {
        $iisLog.file = [string] $newest.Name
        $iisLog.header = @(Get-Content -LiteralPath $newest.FullName -TotalCount 10 | Where-Object { $_ -like '#*' } |
            ForEach-Object { [string] $_ })
        $iisLog.lines = @(Get-Content -LiteralPath $newest.FullName -Tail 5000 |
            Where-Object { $_ -like '#Fields:*' -or $_ -like '*mscep.dll*' } | Select-Object -Last $maxLines |
            ForEach-Object { [string] $_ })
    }
}
New-Result -State @{ events = $events; eventErrors = $eventErrors; iisLog = $iisLog }
