package devicetest

import (
	"encoding/json"
	"math/big"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/testkit/peer"
)

// The maps Guardian.Android builds, as "initialCapacity:keys in put order".
var sdkMaps = []string{
	"0:identifier,name,push_credentials,public_key", // GuardianAPIClient.enroll body
	"2:service,token",   // createPushCredentials
	"5:kty,alg,use,e,n", // createJWK
	"0:alg,typ",         // createJWT header
	"0:iat,exp,aud,iss,sub,auth0_guardian_method,auth0_guardian_accepted",                       // claims
	"0:iat,exp,aud,iss,sub,auth0_guardian_method,auth0_guardian_accepted,auth0_guardian_reason", // claims with a reason
	"0:challenge_response",
	"0:identifier,name", // DeviceAPIClient.update without a push token
}

// goOrder is hashMapOrder's answer for one of sdkMaps, in the Java
// program's output format: keys, then each key's String.hashCode.
func goOrder(spec string) string {
	initial, keys, _ := strings.Cut(spec, ":")
	n, _ := strconv.Atoi(initial)
	var ms []member
	var hashes []string
	for _, k := range strings.Split(keys, ",") {
		ms = append(ms, member{key: k})
		hashes = append(hashes, strconv.Itoa(int(javaHashCode(k))))
	}
	var out []string
	for _, m := range hashMapOrder(ms, hashMapCapacity(n, len(ms))) {
		out = append(out, m.key)
	}
	return strings.Join(out, ",") + " " + strings.Join(hashes, " ")
}

// TestHashMapOrderMatchesJava runs a real JVM's java.util.HashMap over the
// SDK's maps and compares its iteration order (and String.hashCode) with
// this package's. Skipped where no java is installed; the pinned orders
// below were produced by OpenJDK 17.
func TestHashMapOrderMatchesJava(t *testing.T) {
	java, err := exec.LookPath("java")
	if err != nil {
		peer.Missing(t, "java (Debian openjdk-17-jdk-headless) is not installed")
	}
	out, err := exec.Command(java, append([]string{"testdata/HashMapOrder.java"}, sdkMaps...)...).Output()
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Len(t, lines, len(sdkMaps))
	for i, spec := range sdkMaps {
		assert.Equal(t, lines[i], goOrder(spec), spec)
	}
}

// TestHashMapOrderPinned pins the orders OpenJDK 17 printed, so that the
// bytes stay Guardian's where no JVM runs the test above.
func TestHashMapOrderPinned(t *testing.T) {
	want := []string{
		"public_key,identifier,name,push_credentials",
		"service,token",
		"kty,alg,e,use,n",
		"typ,alg",
		"aud,sub,auth0_guardian_accepted,auth0_guardian_method,iss,exp,iat",
		"aud,sub,auth0_guardian_accepted,auth0_guardian_reason,auth0_guardian_method,iss,exp,iat",
		"challenge_response",
		"identifier,name",
	}
	for i, spec := range sdkMaps {
		keys, _, _ := strings.Cut(goOrder(spec), " ")
		assert.Equal(t, want[i], keys, spec)
	}
	assert.EqualValues(t, 99162322, javaHashCode("hello"), "String.hashCode")
}

// TestEnrollBodyIsGuardians: the enroll body's bytes, members in the SDK's
// order, n with BigInteger's sign byte.
func TestEnrollBodyIsGuardians(t *testing.T) {
	d, err := New("Pixel <8> & 'co'")
	require.NoError(t, err)
	body := d.EnrollBody()
	assert.True(t, strings.HasPrefix(body, `{"public_key":{"kty":"RSA","alg":"RS256","e":"AQAB","use":"sig","n":"A`), body)
	assert.Contains(t, body, `"identifier":"`+d.Identifier+`","name":"Pixel \u003c8\u003e \u0026 \u0027co\u0027","push_credentials":{"service":"GCM","token":"`+d.PushToken+`"}}`)
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &m), "Gson's escapes are JSON")
	n, err := b64.DecodeString(m["public_key"].(map[string]any)["n"].(string))
	require.NoError(t, err)
	require.Len(t, n, 257, "2048 bits and the sign byte")
	assert.Zero(t, n[0])
	assert.Equal(t, 0, new(big.Int).SetBytes(n).Cmp(d.Key.N))
}

// TestChallengeResponseIsGuardians: the JWT's header and claims bytes.
func TestChallengeResponseIsGuardians(t *testing.T) {
	d, err := New("p")
	require.NoError(t, err)
	d.Identifier = "dev-1"
	d.Now = func() time.Time { return time.Unix(1700000000, 0) }
	reason := "not me"
	jwt, err := d.ChallengeResponse("https://h/push/api/resolve-transaction", "chal", false, &reason)
	require.NoError(t, err)
	parts := strings.Split(jwt, ".")
	require.Len(t, parts, 3)
	h, _ := b64.DecodeString(parts[0])
	c, _ := b64.DecodeString(parts[1])
	assert.Equal(t, `{"typ":"JWT","alg":"RS256"}`, string(h))
	assert.Equal(t, `{"aud":"https://h/push/api/resolve-transaction","sub":"chal","auth0_guardian_accepted":false,"auth0_guardian_reason":"not me","auth0_guardian_method":"push","iss":"dev-1","exp":1700000030,"iat":1700000000}`, string(c))
}

func TestParseNotification(t *testing.T) {
	n, err := ParseNotification(map[string]string{
		"sh": "id.example.com", "dai": "a", "txtkn": "t", "c": "c", "d": "2026-12-07T13:00:00.123Z",
		"s": `{"b":{"n":"Chrome","v":"120"},"os":{"n":"Linux","v":null}}`,
	})
	require.NoError(t, err)
	assert.Equal(t, "https://id.example.com", n.URL)
	assert.Equal(t, "Chrome", n.BrowserName)
	assert.Equal(t, "", n.OSVersion)
	assert.Equal(t, time.Date(2026, 12, 7, 13, 0, 0, 123e6, time.UTC), n.Date)
	_, err = ParseNotification(map[string]string{"sh": "x", "dai": "a", "txtkn": "t", "d": "2026-12-07T13:00:00.123Z"})
	require.Error(t, err, "no challenge: not a Guardian notification")
}
