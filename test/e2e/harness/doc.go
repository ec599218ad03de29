// Package harness runs Seal's built binaries as separate processes for
// end-to-end tests: it builds seal and seal-agent once per test binary,
// runs commands with a clean environment, keeps every byte a process
// printed (so tests can search it for leaked secrets), and stops agents
// gracefully.
package harness
