package json_test

import (
	"bytes"
	stdjson "encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/internal/json"
)

// requestTypes are the types the module encodes for Twitch: the params of
// every Helix method (their body fields; query fields are tagged "-"),
// and the condition of every subscription type, which Subscribe encodes
// into a Create EventSub Subscription body.
func requestTypes(t *testing.T) []reflect.Type {
	t.Helper()
	var types []reflect.Type
	client := reflect.TypeOf(&helix.Client{})
	for i := range client.NumMethod() {
		m := client.Method(i).Type // receiver, ctx[, params]
		if m.NumIn() < 3 {
			continue
		}
		if p := m.In(2); p.Kind() == reflect.Pointer && strings.HasSuffix(p.Elem().Name(), "Params") {
			types = append(types, p.Elem())
		}
	}
	assert.Assert(t, len(types) > 100, "only %d params types", len(types))
	for _, info := range eventsub.Types() {
		types = append(types, reflect.TypeOf(info.NewCondition()).Elem())
	}
	return types
}

// What Twitch receives is byte for byte what encoding/json sends, for
// every request type of the schema: zero, filled, filled with empty
// slices and maps, and filled with zero elements.
func TestRequestBodiesAsEncodingJSON(t *testing.T) {
	bodies := 0
	for _, typ := range requestTypes(t) {
		for _, how := range []filling{zero, full, emptyCollections, zeroElements} {
			v := reflect.New(typ)
			if how != zero {
				fill(v.Elem(), how, 0)
			}
			want, err := stdjson.Marshal(v.Interface())
			assert.NilError(t, err, "%s (%s)", typ, how)
			got, err := json.Marshal(v.Interface())
			assert.NilError(t, err, "%s (%s)", typ, how)
			assert.Equal(t, string(got), string(want), "%s (%s)", typ, how)
			bodies++
		}
	}
	t.Logf("%d bodies compared", bodies)
}

type filling string

const (
	zero             filling = "zero"
	full             filling = "filled"
	emptyCollections filling = "filled, empty slices and maps"
	zeroElements     filling = "filled, zero elements"
)

var (
	rawMessageType = reflect.TypeOf(stdjson.RawMessage(nil))
	timeType       = reflect.TypeOf(time.Time{})
	helixTimeType  = reflect.TypeOf(helix.Time{})
)

// fill sets every exported field of v, through pointers, slices and maps,
// to a value that tests the encoder: strings with characters to escape,
// times with nanoseconds and a zone, raw JSON with spaces to compact.
func fill(v reflect.Value, how filling, depth int) {
	if depth > 6 {
		return
	}
	switch v.Type() {
	case rawMessageType:
		v.SetBytes([]byte(` { "b" : [1, 2.50, "<&>"], "a": null } `))
		return
	case timeType:
		v.Set(reflect.ValueOf(time.Date(2025, 3, 14, 9, 41, 12, 345678900, time.FixedZone("", 5*3600+1800))))
		return
	case helixTimeType:
		v.Set(reflect.ValueOf(helix.Time{Time: time.Date(2025, 3, 14, 9, 41, 12, 0, time.UTC)}))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("<b>\"Tom & Jerry\"</b>\u2028\u2029 é\t\\ \x7f")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(-42)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(42)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1234567.125e-3)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		if how != zeroElements {
			fill(v.Elem(), how, depth+1)
		}
	case reflect.Slice:
		n := 2
		if how == emptyCollections {
			n = 0
		}
		v.Set(reflect.MakeSlice(v.Type(), n, n))
		for i := range n {
			if how != zeroElements {
				fill(v.Index(i), how, depth+1)
			}
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		if how == emptyCollections {
			return
		}
		for _, k := range []string{"zeta", "<alpha>", "Beta", "10", "9"} {
			e := reflect.New(v.Type().Elem()).Elem()
			if how != zeroElements {
				fill(e, how, depth+1)
			}
			v.SetMapIndex(reflect.ValueOf(k).Convert(v.Type().Key()), e)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), how, depth+1)
			}
		}
	}
}

// Beyond the schema's types: the semantics of encoding/json that a
// caller's own Condition type may rely on.
func TestMarshalAsEncodingJSON(t *testing.T) {
	type embedded struct {
		E string `json:"e"`
	}
	type all struct {
		embedded
		OmitEmptyInt    int                `json:"oi,omitempty"`
		OmitEmptyBool   bool               `json:"ob,omitempty"`
		OmitEmptySlice  []string           `json:"os,omitempty"`
		OmitEmptyStruct struct{}           `json:"ost,omitempty"`
		OmitEmptyTime   time.Time          `json:"ot,omitempty"`
		OmitZeroTime    time.Time          `json:"oz,omitzero"`
		OmitZeroPtr     *int               `json:"ozp,omitzero"`
		NilSlice        []string           `json:"ns"`
		NilMap          map[string]int     `json:"nm"`
		NilRaw          stdjson.RawMessage `json:"nr"`
		Bytes           []byte             `json:"bytes"`
		AsString        int                `json:"as,string"`
		Untagged        string
		Skipped         string            `json:"-"`
		Dash            string            `json:"-,"`
		Duration        time.Duration     `json:"d"`
		Any             any               `json:"any"`
		Float           float64           `json:"f"`
		BigFloat        float64           `json:"bf"`
		Interface       stdjson.Marshaler `json:"i"`
		unexported      string
	}
	for _, v := range []all{
		{},
		{
			embedded: embedded{E: "e"}, OmitEmptyInt: 1, OmitEmptyBool: true, OmitEmptySlice: []string{},
			OmitEmptyTime: time.Unix(1, 0).UTC(), NilSlice: []string{}, NilMap: map[string]int{"b": 1, "a": 2},
			NilRaw: stdjson.RawMessage(`[ 1 ]`), Bytes: []byte("bytes\x00"), AsString: 7, Untagged: "u", Skipped: "s",
			Dash: "d", Duration: time.Second, Any: map[string]any{"z": []any{1, "x"}, "a": nil}, Float: 1e-7,
			BigFloat: 1e21, Interface: stdjson.RawMessage(`{"x": 1}`), unexported: "x",
		},
	} {
		want, err := stdjson.Marshal(v)
		assert.NilError(t, err)
		got, err := json.Marshal(v)
		assert.NilError(t, err)
		assert.Equal(t, string(got), string(want))

		want, err = stdjson.MarshalIndent(v, "", "  ")
		assert.NilError(t, err)
		got, err = json.MarshalIndent(v, "", "  ")
		assert.NilError(t, err)
		assert.Equal(t, string(got), string(want))
	}
}

// Invalid UTF-8 in a string to send is the one difference from
// encoding/json: both send U+FFFD, encoding/json as the \ufffd escape,
// Marshal as the character itself, so Twitch reads the same text.
func TestMarshalInvalidUTF8(t *testing.T) {
	v := map[string]string{"text": "a\xffb"}
	want, err := stdjson.Marshal(v)
	assert.NilError(t, err)
	assert.Equal(t, string(want), `{"text":"a\ufffdb"}`)
	got, err := json.Marshal(v)
	assert.NilError(t, err)
	assert.Equal(t, string(got), "{\"text\":\"a\uFFFDb\"}")
	var a, b map[string]string
	assert.NilError(t, stdjson.Unmarshal(want, &a))
	assert.NilError(t, stdjson.Unmarshal(got, &b))
	assert.DeepEqual(t, a, b)
	assert.Assert(t, !bytes.Contains(got, []byte{0xff}))
}
