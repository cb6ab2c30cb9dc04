package bridge

// Delivery says where the main server sends an agent event (reference §3.2).
type Delivery int

// Deliveries.
const (
	Drop      Delivery = iota // never shown (unknown character for a task result)
	ToOne                     // to that character's clients (and her session)
	Broadcast                 // to every connected client
)

// Route applies the original's dispatch rules: status updates and task
// updates without a known character go to everyone; task results and
// proactive messages reach only an existing session of their own character —
// never another character's (no cross-character leak) and never everyone.
func Route(ev Event, hasSession func(name string) bool) Delivery {
	name := ev.Name()
	known := name != "" && hasSession(name)
	switch ev.EventType {
	case TypeTaskResult, TypeProactiveMessage:
		if ev.Text == "" || !known {
			return Drop
		}
		return ToOne
	case TypeTaskUpdate:
		if known {
			return ToOne
		}
		return Broadcast // the original shows tasks of unknown owners to everyone
	case TypeAgentStatusUpdate, TypeAgentNotification:
		switch {
		case known:
			return ToOne
		case name == "":
			return Broadcast
		}
		return Drop
	}
	return Drop
}
