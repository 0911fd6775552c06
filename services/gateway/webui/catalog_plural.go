package webui

// pluralMessages holds the wordings a count changes, keyed by the message's
// key and the plural category of each of its integer arguments in order
// (see Lang.T); the message itself is the wording for "other" counts.
// English and Italian both say "one" for exactly 1.
var pluralMessages = map[string][2]string{
	"home.awaiting.one":            {"%d contact request awaits your answer", "%d richiesta di contatto attende la tua risposta"},
	"home.unread.one":              {"%d new notification", "%d nuova notifica"},
	"profile.unnamed_partners.one": {"%d partner not shown", "%d partner non mostrato"},
	"messages.awaiting.one":        {"%d contact request waits for your answer.", "%d richiesta di contatto attende la tua risposta."},

	"event.slots.one.other": {"%d meeting slot, %d tables", "%d slot di incontro, %d tavoli"},
	"event.slots.other.one": {"%d meeting slots, %d table", "%d slot di incontro, %d tavolo"},
	"event.slots.one.one":   {"%d meeting slot, %d table", "%d slot di incontro, %d tavolo"},
	"event.conflicts.one":   {"%d meeting puts a participant in two places at once.", "%d incontro mette un partecipante in due posti contemporaneamente."},
	"event.capacity.one":    {"%d place", "%d posto"},

	"event.not_offered_limit.one": {"%s has reached the limit of %d meeting", "%s ha raggiunto il limite di %d incontro"},
	"event.message_to_all.one":    {"The %d participant", "L'unico partecipante (%d)"},
	"event.all_participants.one":  {"The %d participant: search, filter, sort, CSV", "L'unico partecipante (%d): cerca, filtra, ordina, CSV"},
	"event.all_requests.one":      {"The %d request: search, filter, sort, CSV", "L'unica richiesta (%d): cerca, filtra, ordina, CSV"},

	"confirm.withdraw_counts.one.other": {"%s: %d open request and %d confirmed meetings will be cancelled.", "%s: verranno annullati %d richiesta aperta e %d incontri confermati."},
	"confirm.withdraw_counts.other.one": {"%s: %d open requests and %d confirmed meeting will be cancelled.", "%s: verranno annullati %d richieste aperte e %d incontro confermato."},
	"confirm.withdraw_counts.one.one":   {"%s: %d open request and %d confirmed meeting will be cancelled.", "%s: verranno annullati %d richiesta aperta e %d incontro confermato."},

	"dashboard.network_desc.one.other": {"%d organisation or person, %d pairs", "%d organizzazione o persona, %d coppie"},
	"dashboard.network_desc.other.one": {"%d organisations or people, %d pair", "%d organizzazioni o persone, %d coppia"},
	"dashboard.network_desc.one.one":   {"%d organisation or person, %d pair", "%d organizzazione o persona, %d coppia"},
	"dashboard.network_hint.one":       {"Pairs that met at events, or where one saved or contacted the other (%d pair).", "Coppie che si sono incontrate agli eventi, o in cui una ha salvato o contattato l'altra (%d coppia)."},

	"dashboard.net_shows_all.one":              {"Showing the %d pair.", "È mostrata l'unica coppia (%d)."},
	"dashboard.net_shows_filtered.one.other":   {"Showing %d of %d pairs: the one with a side of the kind and region chosen.", "È mostrata %d coppia su %d: quella con una parte del tipo e della regione scelti."},
	"dashboard.net_shows_filtered.one.one":     {"Showing %d of %d pair: the one with a side of the kind and region chosen.", "È mostrata %d coppia su %d: quella con una parte del tipo e della regione scelti."},
	"dashboard.net_shows_focus.one":            {"%s and its partner: %d pair.", "%s e il suo partner: %d coppia."},
	"dashboard.pairs_all.one":                  {"The %d pair", "L'unica coppia (%d)"},
	"dashboard.pairs_sample.one.other":         {"The strongest %d of %d pairs", "La coppia più forte (%d) su %d"},
	"dashboard.pairs_sample.one.one":           {"The strongest %d of %d pair", "La coppia più forte (%d) su %d"},
	"dashboard.link_org_counts.one.other":      {"%d partner in %d collaborations", "%d partner in %d collaborazioni"},
	"dashboard.link_org_counts.other.one":      {"%d partners in %d collaboration", "%d partner in %d collaborazione"},
	"dashboard.link_org_counts.one.one":        {"%d partner in %d collaboration", "%d partner in %d collaborazione"},
	"dashboard.links_all.one":                  {"The %d link", "L'unico legame (%d)"},
	"dashboard.events_sample.one.other":        {"The latest %d of the %d events your clusters host in the period or later, as its organisers see it.", "Il più recente (%d) dei %d eventi ospitati dai tuoi cluster nel periodo o dopo, come lo vedono gli organizzatori."},
	"dashboard.events_all.one":                 {"Events your clusters host in the period or later: %d, with the figures its organisers see.", "Eventi ospitati dai tuoi cluster nel periodo o dopo: %d, con i numeri che vedono gli organizzatori."},
	"dashboard.link_orgs_sample.one.other":     {"The %d member with the most partners, of %d with a partner", "Il membro con più partner (%d), su %d con almeno un partner"},
	"dashboard.links_sample.one.other":         {"The strongest %d of %d links", "Il legame più forte (%d) su %d"},
	"dashboard.network_sample.one.other":       {"The drawing shows the %d most connected of %d organisations or people.", "Il disegno mostra la più collegata (%d) di %d organizzazioni o persone."},
	"dashboard.links_members_sample.one.other": {"Only the history of the first %d of your %d members is read.", "È letta solo la storia del primo (%d) dei tuoi %d membri."},
	// Samples show fewer than all, so "1 of 1" does not occur; it still reads well.
	"dashboard.events_sample.one.one":        {"The latest %d of the %d event your clusters host, as its organisers see it.", "Il più recente (%d) dell'unico evento (%d) ospitato dai tuoi cluster, come lo vedono gli organizzatori."},
	"dashboard.link_orgs_sample.one.one":     {"The %d member with the most partners, of %d with a partner", "Il membro con più partner (%d), su %d con almeno un partner"},
	"dashboard.links_sample.one.one":         {"The strongest %d of %d link", "Il legame più forte (%d) su %d"},
	"dashboard.network_sample.one.one":       {"The drawing shows the %d most connected of %d organisation or person.", "Il disegno mostra la più collegata (%d) di %d organizzazione o persona."},
	"dashboard.links_members_sample.one.one": {"Only the history of the first %d of your %d member is read.", "È letta solo la storia del primo (%d) del tuo unico membro (%d)."},
}
