package vocab_test

import (
	"testing"

	"github.com/tandem-cluster/tandem/pkg/vocab"
)

// italianNeeds are needs as members of the cluster write them, in English
// and in Italian.
var italianNeeds = [][2]string{
	{"biomarkers of liver fibrosis", "biomarcatori fibrosi epatica"},
	{"liver cancer", "tumore del fegato"},
	{"type 2 diabetes", "diabete di tipo 2"},
	{"breast cancer", "tumore al seno"},
	{"Alzheimer disease", "malattia di Alzheimer"},
	{"cardiovascular diseases", "malattie cardiovascolari"},
	{"mass spectrometry", "spettrometria di massa"},
	{"next generation sequencing", "sequenziamento di nuova generazione"},
	{"gene therapy", "terapia genica"},
	{"stem cell transplantation", "trapianto di cellule staminali"},
	{"monoclonal antibodies", "anticorpi monoclonali"},
	{"vaccines", "vaccini"},
	{"drug delivery systems", "sistemi di rilascio dei farmaci"},
	{"diagnostic imaging", "diagnostica per immagini"},
	{"telemedicine", "telemedicina"},
	{"machine learning", "apprendimento automatico"},
	{"bioinformatics", "bioinformatica"},
	{"proteomics", "proteomica"},
	{"genomics", "genomica"},
	{"gut microbiota", "microbiota intestinale"},
	{"obesity", "obesità"},
	{"rare diseases", "malattie rare"},
	{"antibiotic resistance", "resistenza agli antibiotici"},
	{"nanoparticles", "nanoparticelle"},
	{"tissue engineering", "ingegneria tissutale"},
	{"regenerative medicine", "medicina rigenerativa"},
	{"clinical trials", "sperimentazioni cliniche"},
	{"protein structure", "struttura delle proteine"},
	{"X-ray crystallography", "cristallografia a raggi X"},
	{"dietary supplements", "integratori alimentari"},
	{"hypertension", "ipertensione"},
	{"lung cancer", "tumore del polmone"},
	{"multiple sclerosis", "sclerosi multipla"},
	{"Parkinson disease", "morbo di Parkinson"},
	{"hepatitis C", "epatite C"},
	{"inflammation", "infiammazione"},
	{"immunotherapy", "immunoterapia"},
	{"medical devices", "dispositivi medici"},
	{"biobanks", "biobanche"},
	{"care of the elderly", "assistenza agli anziani"},
	{"pediatrics", "pediatria"},
	{"molecular docking", "docking molecolare"},
}

// TestItalianNeedsReadAsEnglish: a need written in Italian is read as the
// same need written in English — the same top term — in at least 90% of
// the cases, thanks to the Italian glossary shipped with the vocabulary.
func TestItalianNeedsReadAsEnglish(t *testing.T) {
	v, err := vocab.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(italianNeeds) < 40 {
		t.Fatalf("%d needs, want at least 40", len(italianNeeds))
	}
	top := func(text string) string {
		ms := v.Resolve(text, 1)
		if len(ms) == 0 {
			return ""
		}
		return ms[0].Term.ID + " " + ms[0].Term.Label
	}
	same := 0
	for _, n := range italianNeeds {
		en, it := top(n[0]), top(n[1])
		if en != "" && en == it {
			same++
		} else {
			t.Logf("%q → %s; %q → %s", n[0], en, n[1], it)
		}
	}
	t.Logf("%d of %d needs read alike", same, len(italianNeeds))
	if same*10 < len(italianNeeds)*9 {
		t.Errorf("only %d of %d Italian needs read as the English ones, want 90%%", same, len(italianNeeds))
	}
}

// TestItalianAutocomplete: Italian words find their terms while being typed.
func TestItalianAutocomplete(t *testing.T) {
	v, err := vocab.Load()
	if err != nil {
		t.Fatal(err)
	}
	for typed, want := range map[string]string{"fegato": "MESH:D008107", "fibrosi epat": "MESH:D008103", "spettrometria": "MESH:D013058"} {
		ms := v.Search(typed, 5)
		if len(ms) == 0 || ms[0].Term.ID != want {
			var got []string
			for _, m := range ms {
				got = append(got, m.Term.ID+" "+m.Term.Label)
			}
			t.Errorf("%q finds %v, want %s first", typed, got, want)
		}
	}
}
