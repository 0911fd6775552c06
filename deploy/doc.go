// Package deploy holds no code: its tests check Tandem's deployment files
// (the Kubernetes overlays, the compose file, the alert rules), so that what
// an operator applies is what the services expect. It is a module of its own
// so that the Kubernetes and compose libraries stay out of the services'.
package deploy
