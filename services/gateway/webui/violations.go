package webui

import (
	"regexp"
	"strings"
)

// The services describe a field's problem in English (google.rpc.BadRequest
// field violations are for developers first). The web UI shows them beside
// the field in the user's language: the descriptions the services write are
// listed here with their Italian, exact texts first, then patterns for the
// ones that carry a number or a value. A description not listed is shown as
// the service wrote it; TestViolationsItalian holds a sample of each kind.

var violationsIT = map[string]string{
	"required":                            "è obbligatorio",
	"is required":                         "è obbligatorio",
	"is required for publishing":          "è obbligatorio per pubblicare",
	"must not be blank":                   "non può essere vuoto",
	"must not be negative":                "non può essere negativo",
	"is negative":                         "non può essere negativo",
	"must be valid UTF-8":                 "deve essere testo UTF-8 valido",
	"must be UTF-8":                       "deve essere testo UTF-8 valido",
	"not valid UTF-8":                     "non è testo UTF-8 valido",
	"is not valid UTF-8":                  "non è testo UTF-8 valido",
	"must not contain control characters": "non può contenere caratteri di controllo",
	"contains control characters":         "contiene caratteri di controllo",
	"not an id":                           "non è un identificativo valido",
	"not a valid id":                      "non è un identificativo valido",
	"is not a valid conversation id":      "non è un identificativo di conversazione valido",
	"is not a participant of this event":  "non è un partecipante di questo evento",
	"this request already has a meeting: move it instead":        "questa richiesta ha già un incontro: spostalo invece",
	"already has a meeting":                                      "ha già un incontro",
	"not accepted":                                               "non è accettata",
	"is not an event you organise":                               "non è un evento che organizzi",
	"is not a valid event id":                                    "non è un identificativo di evento valido",
	"is not a valid participant id":                              "non è un identificativo di partecipante valido",
	"organisers write for their organisation, and you have none": "gli organizzatori scrivono per la loro organizzazione, e tu non ne hai una",
	"must be an organization id":                                 "deve essere l'identificativo di un'organizzazione",
	"must be an organisation id":                                 "deve essere l'identificativo di un'organizzazione",
	"must be a NUTS code: two capital letters and 1 to 3 letters or digits, e.g. ITH44": "deve essere un codice NUTS: due lettere maiuscole seguite da 1 a 3 lettere o cifre, per esempio ITH44",
	"must be an ISO 3166-1 alpha-2 code in capitals, e.g. IT, or ZZ when unknown":       "deve essere un codice ISO 3166-1 alpha-2 in maiuscolo, per esempio IT, oppure ZZ se sconosciuto",
	"must be an absolute http or https URL with a host":                                 "deve essere un indirizzo http o https completo",
	"must be an absolute http(s) URL":                                                   "deve essere un indirizzo http o https completo",
	"must be an ORCID iD like 0000-0002-1825-0097 with a valid check digit":             "deve essere un ORCID iD come 0000-0002-1825-0097 con la cifra di controllo corretta",
	"must be an e-mail address such as tto@example.org":                                 "deve essere un indirizzo e-mail come tto@example.org",
	"is not an e-mail address":                                                          "non è un indirizzo e-mail",
	"must be an E.164 number such as +390401234567":                                     "deve essere un numero nel formato internazionale, come +390401234567",
	"must be a NACE Rev. 2 code such as 86, 21.2 or 72.11":                              "deve essere un codice NACE Rev. 2 come 86, 21.2 o 72.11",
	"must be 0 to 9":                                   "deve essere tra 0 e 9",
	"must be 1..9, or 0 when not stated":               "deve essere tra 1 e 9, oppure 0 se non indicato",
	"must be in [0, 1]":                                "deve essere tra 0 e 1",
	"must be in the future":                            "deve essere nel futuro",
	"must be after start_time":                         "deve essere dopo l'inizio",
	"must be after registration_opens_at":              "deve essere dopo l'apertura delle iscrizioni",
	"must be between 1800 and 2200":                    "deve essere tra 1800 e 2200",
	"must be between 1900 and 2200, or 0 when unknown": "deve essere tra 1900 e 2200, oppure 0 se sconosciuto",
	"must be 1 to 64 letters, digits or dashes":        "deve avere da 1 a 64 lettere, cifre o trattini",
	"must not be SECTOR_UNSPECIFIED":                   "è obbligatorio",
	"must name an organization_id or person_id":        "deve indicare un'organizzazione o una persona",
	"an organization_id or a person_id is required":    "serve un'organizzazione o una persona",
	"set organization_id or person_id to a valid id":   "indica un'organizzazione o una persona valida",
	"a title or an acronym is required":                "serve un titolo o un acronimo",
	"at least one organisation is required":            "serve almeno un'organizzazione",
	"at least one session":                             "serve almeno una sessione",
	"a participant cannot meet itself":                 "un partecipante non può incontrare se stesso",
	"a partner or an accepted request is required":     "serve un partner o una richiesta accettata",
	"an organization cannot be a member of itself":     "un'organizzazione non può essere membro di se stessa",
	"another participant's id":                         "è l'identificativo di un altro partecipante",
	"days must be in order without repeats":            "i giorni devono essere in ordine e senza ripetizioni",
	"duplicate cluster":                                "cluster ripetuto",
	"is not a valid time":                              "non è un orario valido",
	"not a calendar date":                              "non è una data valida",
	"not a table id":                                   "non è l'identificativo di un tavolo",
	"not a time of day":                                "non è un orario valido",
	"needs a reference, a title or a url":              "serve un riferimento, un titolo o un indirizzo",
	"one of accept, decline, no thanks or cancel":      "deve essere accetta, rifiuta, no grazie o annulla",
	"only for DISMISSED":                               "solo quando si scarta un partner",
	"required for DISMISSED":                           "obbligatorio quando si scarta un partner",
	"only with action accept":                          "solo con l'azione accetta",
	"only with policy SCHEDULE_POLICY_BALANCED":        "solo con la politica equilibrata",
	"is the same as from":                              "è la stessa parte del mittente",
	"is not a known mode":                              "non è una modalità prevista",
	"is not a known status":                            "non è uno stato previsto",
	"must be en or it":                                 "deve essere en o it",
	"is not a token from a previous response":          "non è un token di una risposta precedente",
	"is not an id of this service":                     "non è un identificativo di questo servizio",
	"no such organization":                             "organizzazione inesistente",
	"too long":                                         "è troppo lungo",
	"unknown sector":                                   "settore sconosciuto",
	"unknown kind":                                     "tipo sconosciuto",
	"unknown priority":                                 "priorità sconosciuta",
	"unknown policy":                                   "politica sconosciuta",
	"unknown booking mode":                             "modalità di prenotazione sconosciuta",
	"must be the version last read (1 or more)":        "deve essere l'ultima versione letta (1 o più)",
	"shorter than one meeting":                         "più breve di un incontro",
	"not a URL":                                        "non è un indirizzo",
}

var violationPatternsIT = []struct {
	re *regexp.Regexp
	it string
}{
	{regexp.MustCompile(`^at most (\d+)$`), "al massimo $1"},
	{regexp.MustCompile(`^(.+) is not available at (.+)$`), "$1 non è disponibile: $2"},
	{regexp.MustCompile(`^(.+) already has a meeting at (.+)$`), "$1 ha già un incontro: $2"},
	{regexp.MustCompile(`^(.+) has reached its limit of (\d+) meetings$`), "$1 ha raggiunto il suo limite di $2 incontri"},
	{regexp.MustCompile(`^(.+) is taken at (.+): drop the meeting on the other one to swap them$`), "$1 è occupato: $2. Trascina l'incontro sull'altro per scambiarli"},
	{regexp.MustCompile(`^at most (\d+) bytes( of UTF-8)?$`), "al massimo $1 byte"},
	{regexp.MustCompile(`^1 to (\d+) bytes of UTF-8$`), "da 1 a $1 byte"},
	{regexp.MustCompile(`^from 1 to (\d+)$`), "da 1 a $1"},
	{regexp.MustCompile(`^at most (\d+) items$`), "al massimo $1 elementi"},
	{regexp.MustCompile(`^at most (\d+) values$`), "al massimo $1 valori"},
	{regexp.MustCompile(`^at most (\d+) terms$`), "al massimo $1 termini"},
	{regexp.MustCompile(`^at most (\d+) clusters$`), "al massimo $1 cluster"},
	{regexp.MustCompile(`^at most (\d+) days$`), "al massimo $1 giorni"},
	{regexp.MustCompile(`^at most (\d+) slots$`), "al massimo $1 fasce orarie"},
	{regexp.MustCompile(`^at most (\d+) tables$`), "al massimo $1 tavoli"},
	{regexp.MustCompile(`^at most (\d+) organizers$`), "al massimo $1 organizzatori"},
	{regexp.MustCompile(`^at most (\d+) sessions a day$`), "al massimo $1 sessioni al giorno"},
	{regexp.MustCompile(`^(?:is )?longer than (\d+) characters$`), "supera i $1 caratteri"},
	{regexp.MustCompile(`^must be at most (\d+) characters$`), "deve avere al massimo $1 caratteri"},
	{regexp.MustCompile(`^must have at least (\d+) characters$`), "deve avere almeno $1 caratteri"},
	{regexp.MustCompile(`^must have at most (\d+) characters, has (\d+)$`), "deve avere al massimo $1 caratteri, ne ha $2"},
	{regexp.MustCompile(`^must be whole minutes between (\S+) and (\S+)$`), "deve essere un numero intero di minuti tra $1 e $2"},
	{regexp.MustCompile(`^unknown value (-?\d+)$`), "valore sconosciuto $1"},
	{regexp.MustCompile(`^unknown level (-?\d+)$`), "livello sconosciuto $1"},
	{regexp.MustCompile(`^unknown IANA time zone (.+)$`), "fuso orario IANA sconosciuto $1"},
	{regexp.MustCompile(`^required \(an IANA name such as (.+)\)$`), "obbligatorio (un nome IANA come $1)"},
	{regexp.MustCompile(`^(?:id )?(.+) is not a valid id$`), "$1 non è un identificativo valido"},
	{regexp.MustCompile(`^(.+) is not a term id such as (.+)$`), "$1 non è un termine del vocabolario come $2"},
	{regexp.MustCompile(`^(.+) is not a BCP 47 language tag$`), "$1 non è un codice di lingua BCP 47"},
	{regexp.MustCompile(`^duplicate table id (.+)$`), "tavolo ripetuto $1"},
	{regexp.MustCompile(`^organisation (.+) is listed twice$`), "l'organizzazione $1 è indicata due volte"},
	{regexp.MustCompile(`^duplicate (.+)$`), "$1 ripetuto"},
	{regexp.MustCompile(`^source must be 1 to (\d+) lower-case letters, digits, '_', '\.' or '-'$`), "la fonte deve avere da 1 a $1 lettere minuscole, cifre, '_', '.' o '-'"},
	{regexp.MustCompile(`^must be a lower-case word such as (.+)$`), "deve essere una parola minuscola come $1"},
}

// violationText is a service's field description in the user's language.
func violationText(l *Lang, desc string) string {
	if l.Code != "it" {
		return desc
	}
	d := strings.TrimSpace(desc)
	if it, ok := violationsIT[d]; ok {
		return it
	}
	for _, p := range violationPatternsIT {
		if p.re.MatchString(d) {
			return p.re.ReplaceAllString(d, p.it)
		}
	}
	return desc
}
