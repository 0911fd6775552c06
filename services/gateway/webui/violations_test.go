package webui

import "testing"

// TestViolationsItalian holds the field descriptions the services write
// (their validators' texts, with sample numbers and values): each reads in
// Italian, and stays as written in English.
func TestViolationsItalian(t *testing.T) {
	tests := []struct{ en, it string }{
		{"is required", "è obbligatorio"},
		{"required", "è obbligatorio"},
		{"is required for publishing", "è obbligatorio per pubblicare"},
		{"must not be negative", "non può essere negativo"},
		{"must be a NUTS code: two capital letters and 1 to 3 letters or digits, e.g. ITH44", "deve essere un codice NUTS: due lettere maiuscole seguite da 1 a 3 lettere o cifre, per esempio ITH44"},
		{"must be an ISO 3166-1 alpha-2 code in capitals, e.g. IT, or ZZ when unknown", "deve essere un codice ISO 3166-1 alpha-2 in maiuscolo, per esempio IT, oppure ZZ se sconosciuto"},
		{"must be an absolute http or https URL with a host", "deve essere un indirizzo http o https completo"},
		{"must be an e-mail address such as tto@example.org", "deve essere un indirizzo e-mail come tto@example.org"},
		{"must be an E.164 number such as +390401234567", "deve essere un numero nel formato internazionale, come +390401234567"},
		{"must be an ORCID iD like 0000-0002-1825-0097 with a valid check digit", "deve essere un ORCID iD come 0000-0002-1825-0097 con la cifra di controllo corretta"},
		{"must be 1..9, or 0 when not stated", "deve essere tra 1 e 9, oppure 0 se non indicato"},
		{"must be after start_time", "deve essere dopo l'inizio"},
		{"is not an e-mail address", "non è un indirizzo e-mail"},
		{"is the same as from", "è la stessa parte del mittente"},
		{"at most 200", "al massimo 200"},
		{"at most 1000 items", "al massimo 1000 elementi"},
		{"at most 12 terms", "al massimo 12 termini"},
		{"is longer than 100 characters", "supera i 100 caratteri"},
		{"longer than 4000 characters", "supera i 4000 caratteri"},
		{"must have at most 200 characters, has 250", "deve avere al massimo 200 caratteri, ne ha 250"},
		{"must be whole minutes between 5 and 240", "deve essere un numero intero di minuti tra 5 e 240"},
		{"unknown value 42", "valore sconosciuto 42"},
		{`unknown IANA time zone "Mars/Olympus"`, `fuso orario IANA sconosciuto "Mars/Olympus"`},
		{`"x y" is not a term id such as EDAM:topic_3170`, `"x y" non è un termine del vocabolario come EDAM:topic_3170`},
		{`"zz!" is not a BCP 47 language tag`, `"zz!" non è un codice di lingua BCP 47`},
		{`id "a b" is not a valid id`, `"a b" non è un identificativo valido`},
		{"organisation 01ABC is listed twice", "l'organizzazione 01ABC è indicata due volte"},
		{"must be 1 to 64 letters, digits or dashes", "deve avere da 1 a 64 lettere, cifre o trattini"},
	}
	it, en := langFor("it"), langFor("en")
	for _, tt := range tests {
		t.Run(tt.en, func(t *testing.T) {
			if got := violationText(it, tt.en); got != tt.it {
				t.Errorf("Italian: %q, want %q", got, tt.it)
			}
			if got := violationText(en, tt.en); got != tt.en {
				t.Errorf("English: %q, want it unchanged", got)
			}
		})
	}
	if got := violationText(it, "a text no service writes"); got != "a text no service writes" {
		t.Errorf("an unknown description became %q", got)
	}
}
