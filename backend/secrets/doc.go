// Package secrets keeps API keys and tokens out of reach: it masks secret
// values in JSON that leaves the process, merges masked placeholders sent
// back by the UI with the stored values, writes key files atomically with
// mode 0600, and stores secrets in the OS keychain when one is available.
package secrets
