# The fixed entry point of every script run (sent as -EncodedCommand). Reads ONE JSON line from stdin:
# {"script": <name>, "prelude": <base64 of _prelude.ps1>, "source": <base64 of <name>.ps1>, "params": <base64
# JSON>}, dot-sources the prelude, runs the source (both the project's own files, never text built from values)
# with the params object, and writes one JSON document to stdout (non-ASCII as \uXXXX); on error {"error":...}.
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
function Out-Result($Value) {
    $json = ConvertTo-Json -InputObject $Value -Depth 12 -Compress
    $json = [regex]::Replace($json, '[^\x00-\x7F]', { param($m) '\u{0:x4}' -f [int][char]$m.Value })
    [Console]::Out.Write($json)
    [Console]::Out.Flush()
}
try {
    $request = ($input | Out-String) | ConvertFrom-Json
    $utf8 = New-Object -TypeName System.Text.UTF8Encoding -ArgumentList $false, $true
    $prelude = $utf8.GetString([Convert]::FromBase64String($request.prelude))
    . ([scriptblock]::Create($prelude))
    $source = $utf8.GetString([Convert]::FromBase64String($request.source))
    $params = $utf8.GetString([Convert]::FromBase64String($request.params)) | ConvertFrom-Json
    $output = @(& ([scriptblock]::Create($source)) -Params $params 3>&1)
    $warnings = @($output | Where-Object { $_ -is [System.Management.Automation.WarningRecord] } |
        ForEach-Object { $_.Message })
    $results = @($output | Where-Object { $_ -is [System.Collections.IDictionary] })
    if ($results.Count -ne 1) {
        throw ('script {0} returned {1} result objects instead of one' -f $request.script, $results.Count)
    }
    $result = $results[0]
    if ($warnings.Count -gt 0) {
        $before = @()
        if ($result.Contains('warnings')) { $before = @($result['warnings']) }
        $result['warnings'] = $before + $warnings
    }
    Out-Result $result
    exit 0
} catch {
    Out-Result @{ error = @{ message = $_.Exception.Message; category = $_.CategoryInfo.Category.ToString() } }
    exit 1
}
