// Package bridge carries events between the main and agent servers over
// ZeroMQ: PUB/SUB for session events (main → agent), PUSH/PULL for task
// results (agent → main) and PUSH/PULL for acknowledged analyze requests
// (main → agent). Main binds all three sockets; the agent connects.
package bridge
