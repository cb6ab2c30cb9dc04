// Package faults holds neko's fault tests (issue 11, item 4): black-box
// tests that start the real servers — in this process through
// neko/backend/services, or as real child processes running the same
// headless entry point as the neko binary — and break something underneath
// them. The package has no code of its own; `go test -race ./...` runs it.
//
// Each fault, and the test that covers it:
//
//   - The agent process is SIGKILLed mid-task in split mode (main and memory
//     in this process, `serve --only agent` as a child, a real MCP server
//     whose tool blocks): the page gets agent_task_update with status
//     "failed", an end time and the reason, the failure toast
//     (agent_notification), and the character tells the user in her own
//     words (the agent callback); a text message sent while the agent is down is
//     answered; a restarted agent is back on the bridge within 2 s and
//     acknowledges and analyses the next turn; killed and restarted at once
//     (before its silence is noticed), its task is reported failed too.
//     TestAgentKilledMidTask
//     (agent_test.go). The bridge's side of it (agent_lost on heartbeat
//     loss and on a restarted agent) is TestAgentLostOnSilenceAndOnRestart
//     in neko/backend/bridge; plain kill-and-restart healing is
//     TestSplitModeAgentRestart in neko/backend/services.
//   - The realtime provider's WebSocket drops mid-conversation (the test
//     provider of neko/backend/llm/llmtest cuts the TCP connection or closes
//     with 1001): the page gets a status message (CONNECTION_CLOSED_ABNORMAL,
//     reconnecting:true), not a dead session; a new connection is opened
//     and the next user turn is answered within 3 s.
//     TestRealtimeProviderDrop; a redial that is refused once is retried
//     (TestRealtimeProviderRefusesRedial); a provider that hangs up on every
//     connection is given up after 3 reconnects and the session ends with
//     session_ended_by_server (TestRealtimeProviderKeepsDropping). All in
//     realtime_test.go.
//   - The data folder's disk is full (a small tmpfs; mounting needs root,
//     which CI has): saving settings through the REST API and recording
//     turns in the memory server fail with a JSON error that names the
//     problem; core_config.json is untouched and still in force, no
//     temporary files are left; after space is freed both work again, the
//     recent memory file is valid and complete, and the SQLite archive
//     passes integrity_check and holds exactly the acknowledged turns.
//     TestFullDisk (disk_test.go).
//   - SIGKILL during heavy memory writes, 20 rounds: no acknowledged turn is
//     lost from the archive or from recent memory (and none is duplicated),
//     and PRAGMA integrity_check is ok. TestCrashSafety in
//     neko/backend/memory (crash_test.go); not repeated here.
//   - A corrupt config file (characters.json, core_config.json,
//     user_preferences.json): the bad file is kept as <file>.bak, the file
//     is rewritten with exactly the defaults a fresh install writes, and a
//     CONFIG_FILE_RESET notice names the file (and the bad field).
//     TestMalformedFileKeptAsBackupWithNotice in neko/backend/config; not
//     repeated here.
package faults
