package webui

// eventMessages are the event pages' strings, kept apart from messages so
// the event pages and the member pages grow without touching each other's
// lines. A key is in one map only (a test checks).
var eventMessages = map[string][2]string{
	"done.already_asked":          {"You have already asked them to meet. Your first request is kept as it was: change it below instead of sending another.", "Hai già chiesto di incontrarli. La tua prima richiesta è rimasta com'era: modificala qui sotto invece di inviarne un'altra."},
	"done.request_edited":         {"Your meeting request was changed.", "La richiesta di incontro è stata modificata."},
	"action.edit_request":         {"Edit request", "Modifica richiesta"},
	"action.save_request":         {"Save the request", "Salva la richiesta"},
	"action.see_request":          {"See your request", "Vedi la tua richiesta"},
	"event.already_asked":         {"Already asked", "Già richiesto"},
	"event.edit_request_of":       {"Edit your request to %s", "Modifica la tua richiesta a %s"},
	"note.request_cancelled":      {"The meeting request between you and %s at %s was cancelled.", "La richiesta di incontro tra te e %s a %s è stata annullata."},
	"note.meeting_cancelled":      {"Your meeting with %s at %s was cancelled; calendars that imported it remove it.", "Il tuo incontro con %s a %s è stato annullato; i calendari che lo avevano importato lo rimuovono."},
	"confirm.title":               {"Are you sure?", "Sei sicuro?"},
	"action.keep":                 {"No, keep it", "No, lascia com'è"},
	"action.cancel_meeting":       {"Cancel meeting", "Annulla incontro"},
	"event.cancel_meeting_with":   {"Cancel the meeting with %s", "Annulla l'incontro con %s"},
	"confirm.close_event":         {"Close this event?", "Chiudere questo evento?"},
	"confirm.close_event_then":    {"Nobody can register, send or answer requests or book meetings any more. Agendas and calendars stay as they are. Closing cannot be undone.", "Nessuno potrà più iscriversi, inviare o rispondere a richieste o prenotare incontri. Agende e calendari restano come sono. La chiusura non si può annullare."},
	"confirm.cancel_meeting":      {"Cancel this meeting?", "Annullare questo incontro?"},
	"confirm.cancel_request":      {"Withdraw this meeting request?", "Ritirare questa richiesta di incontro?"},
	"confirm.cancel_request_then": {"The request is withdrawn and the other participant is told. A meeting already in the schedule is cancelled too, and calendars that imported it remove it. This cannot be undone.", "La richiesta viene ritirata e l'altro partecipante viene avvisato. Un incontro già in programma viene annullato e i calendari che lo avevano importato lo rimuovono. Non si può annullare."},
	"confirm.decline":             {"Decline this meeting request?", "Rifiutare questa richiesta di incontro?"},
	"confirm.decline_then":        {"The sender is told. A declined request cannot be accepted later.", "Il mittente viene avvisato. Una richiesta rifiutata non può essere accettata in seguito."},
	"confirm.no_thanks":           {"Say no thanks to this request?", "Rispondere no, grazie a questa richiesta?"},
	"confirm.no_thanks_then":      {"The sender is told and may not ask you again at this event.", "Il mittente viene avvisato e non potrà chiederti di nuovo un incontro a questo evento."},
	"done.cancelled":              {"Cancelled. The other participant is told, and calendars that imported the meeting remove it.", "Annullato. L'altro partecipante viene avvisato e i calendari che avevano importato l'incontro lo rimuovono."},
}
