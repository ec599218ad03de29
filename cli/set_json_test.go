package cli

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"
)

// setJSONSecret is a sealed JSON Secret as a user writes it: two-space
// indentation, keys in their own order.
const setJSONSecret = `{
  "apiVersion": "v1",
  "kind": "Secret",
  "metadata": {
    "name": "db",
    "namespace": "prod",
    "annotations": {
      "seal.dev/sealed-for": "Secret/prod/db"
    }
  },
  "stringData": {
    "user": "admin",
    "password": "` + cryptValue + `",
    "port": "5432"
  },
  "data": {
    "token": "dG9rZW4tbmV2ZXItcHJpbnQ="
  }
}
`

// jsonCiphertexts returns field.key → ciphertext of the Secret in an
// encrypted JSON file.
func jsonCiphertexts(t *testing.T, encrypted string) map[string]string {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(encrypted), &doc); err != nil {
		t.Fatalf("the encrypted file is not JSON: %v\n%s", err, encrypted)
	}
	out := map[string]string{}
	for _, field := range []string{"data", "stringData"} {
		m, _ := doc[field].(map[string]any)
		for k, v := range m {
			s, _ := v.(string)
			out[field+"."+k] = s
		}
	}
	return out
}

// TestSetUnsetJSON: seal set and unset change one value of a sealed JSON
// Secret; the file stays JSON, the decrypted text is exactly the old one
// with that value changed, and every other value keeps its ciphertext byte
// for byte.
func TestSetUnsetJSON(t *testing.T) {
	dir, a, _ := decryptSetup(t)
	file := filepath.Join(dir, "secret.json")
	cryptWrite(t, file, cryptEncrypt(t, "secret.json", setJSONSecret, a))
	env := map[string]string{"SEAL_AGE_KEY_FILE": "keys/A.txt"}
	const newValue = "rotated-never-print"
	binary := []byte{0, 1, 2, 0xff, '\n'}
	cryptWrite(t, filepath.Join(dir, "ca.bin"), string(binary))

	for _, tt := range []struct {
		name      string
		args      []string
		stdin     string
		stderr    string
		changed   string // the one field.key whose ciphertext may change
		wantPlain string // the whole decrypted text after
	}{
		{"set from stdin", []string{"set", "secret.json", "stringData.password"}, newValue,
			"secret.json: stringData.password set; other values kept their ciphertext\n",
			"stringData.password",
			`{
  "apiVersion": "v1",
  "kind": "Secret",
  "metadata": {
    "name": "db",
    "namespace": "prod",
    "annotations": {
      "seal.dev/sealed-for": "Secret/prod/db"
    }
  },
  "stringData": {
    "user": "admin",
    "password": "` + newValue + `",
    "port": "5432"
  },
  "data": {
    "token": "dG9rZW4tbmV2ZXItcHJpbnQ="
  }
}
`},
		{"set a new data key from a file, base64", []string{"set", "secret.json", "data.ca.crt", "--value-file", "ca.bin"}, "",
			"secret.json: data.ca.crt set; other values kept their ciphertext\n",
			"data.ca.crt",
			`{
  "apiVersion": "v1",
  "kind": "Secret",
  "metadata": {
    "name": "db",
    "namespace": "prod",
    "annotations": {
      "seal.dev/sealed-for": "Secret/prod/db"
    }
  },
  "stringData": {
    "user": "admin",
    "password": "` + newValue + `",
    "port": "5432"
  },
  "data": {
    "token": "dG9rZW4tbmV2ZXItcHJpbnQ=",
    "ca.crt": "` + base64.StdEncoding.EncodeToString(binary) + `"
  }
}
`},
		{"unset", []string{"unset", "secret.json", `["stringData"]["user"]`}, "",
			"secret.json: stringData.user removed; other values kept their ciphertext\n",
			"stringData.user",
			`{
  "apiVersion": "v1",
  "kind": "Secret",
  "metadata": {
    "name": "db",
    "namespace": "prod",
    "annotations": {
      "seal.dev/sealed-for": "Secret/prod/db"
    }
  },
  "stringData": {
    "password": "` + newValue + `",
    "port": "5432"
  },
  "data": {
    "token": "dG9rZW4tbmV2ZXItcHJpbnQ=",
    "ca.crt": "` + base64.StdEncoding.EncodeToString(binary) + `"
  }
}
`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := jsonCiphertexts(t, cryptRead(t, file))
			r := runSeal(t, dir, env, tt.stdin, tt.args...)
			if diff := cryptDiff(cliRun{Stderr: tt.stderr}, r); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
			cryptNoLeak(t, tt.name, r)
			after := jsonCiphertexts(t, cryptRead(t, file))
			for k, c := range before {
				if k != tt.changed && after[k] != c {
					t.Errorf("%s: ciphertext changed:\n%s\n%s", k, c, after[k])
				}
			}
			for k := range after {
				if _, ok := before[k]; !ok && k != tt.changed {
					t.Errorf("%s: added", k)
				}
			}
			if before[tt.changed] == after[tt.changed] {
				t.Errorf("%s: ciphertext did not change", tt.changed)
			}
			if diff := cryptDiff(tt.wantPlain, cryptDecrypt(t, file, a)); diff != "" {
				t.Errorf("decrypted (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteJSONNode(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"scalars keep their JSON type", `{"a":1,"b":2.5e3,"c":true,"d":null,"e":"x"}`, `{"a":1,"b":2.5e3,"c":true,"d":null,"e":"x"}`},
		{"key order is kept", `{"z":"1","a":"2","m":"3"}`, `{"z":"1","a":"2","m":"3"}`},
		{"strings that look like numbers stay strings", `{"port":"5432","on":"true"}`, `{"port":"5432","on":"true"}`},
		{"escapes and html characters", `{"s":"a\"b\\c\n<&>"}`, `{"s":"a\"b\\c\n<&>"}`},
		{"arrays and nesting", `{"l":[1,"2",{"k":[]}],"o":{}}`, `{"l":[1,"2",{"k":[]}],"o":{}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var n yaml.Node
			if err := yaml.Unmarshal([]byte(tt.in), &n); err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := writeJSONNode(&b, &n); err != nil {
				t.Fatal(err)
			}
			if got := b.String(); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}
