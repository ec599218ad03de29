// Package version says which build of seal and seal-agent is running: the
// version and commit `make build` stamps in with -ldflags, else what the Go
// toolchain recorded in the binary's build info (the module version for
// `go install`, the VCS revision for a build in a Git checkout). It never
// reads the network or the cluster.
package version
