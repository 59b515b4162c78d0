package synth

import (
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// rng is wyrand, a small, fast generator with 64 bits of state. Its output
// depends on nothing but the seed, so the data set is the same on every
// machine and with any GOMAXPROCS.
type rng struct{ s uint64 }

func newRNG(seed, stream uint64) rng {
	r := rng{s: seed ^ (stream * 0x9e3779b97f4a7c15)}
	r.next()
	return r
}

func (r *rng) next() uint64 {
	r.s += 0xa0761d6478bd642f
	hi, lo := bits.Mul64(r.s, r.s^0xe7037ed1a0b428db)
	return hi ^ lo
}

// intn returns a number in [0, n), n > 0 (Lemire's multiply; the bias is
// below 2^-32 for the sizes used here).
func (r *rng) intn(n int) int {
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int(hi)
}

// between returns a number in [lo, hi].
func (r *rng) between(lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + r.intn(hi-lo+1)
}

// per1000 reports true with probability k/1000.
func (r *rng) per1000(k int) bool { return r.intn(1000) < k }

// float returns a number in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) * 0x1p-53 }

// mix is splitmix64's finaliser: a fixed pseudo-random function of x.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// picker draws an index with fixed weights in constant time (Vose's alias
// method), from a single random number.
type picker struct {
	prob  []uint32 // threshold, scaled to 2^32
	alias []uint32
}

func newPicker(weights []float64) picker {
	n := len(weights)
	if n == 0 {
		panic("synth: empty weight table")
	}
	sum := 0.0
	for _, w := range weights {
		if w < 0 || math.IsNaN(w) {
			panic("synth: negative weight")
		}
		sum += w
	}
	if sum <= 0 {
		panic("synth: weights sum to zero")
	}
	scaled := make([]float64, n)
	var small, large []int
	for i, w := range weights {
		scaled[i] = w * float64(n) / sum
		if scaled[i] < 1 {
			small = append(small, i)
		} else {
			large = append(large, i)
		}
	}
	p := picker{prob: make([]uint32, n), alias: make([]uint32, n)}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		p.prob[s] = uint32(scaled[s] * (1 << 32))
		p.alias[s] = uint32(l)
		scaled[l] -= 1 - scaled[s]
		if scaled[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	for _, i := range append(small, large...) {
		p.prob[i] = math.MaxUint32
		p.alias[i] = uint32(i)
	}
	return p
}

func (p *picker) pick(r *rng) int {
	hi, lo := bits.Mul64(r.next(), uint64(len(p.prob)))
	if uint32(lo>>32) < p.prob[hi] {
		return int(hi)
	}
	return int(p.alias[hi])
}

// wlist is a list of strings drawn with weights.
type wlist struct {
	vals []string
	p    picker
}

func (w *wlist) pick(r *rng) string { return w.vals[w.p.pick(r)] }

// parseWeights reads "name:weight, name:weight, ..."; a name without a
// weight weighs 1. Names may contain spaces.
func parseWeights(spec string) ([]string, []float64) {
	var names []string
	var weights []float64
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, w := item, 1.0
		if i := strings.LastIndexByte(item, ':'); i >= 0 {
			f, err := strconv.ParseFloat(strings.TrimSpace(item[i+1:]), 64)
			if err != nil {
				panic("synth: bad weight in " + item)
			}
			name, w = strings.TrimSpace(item[:i]), f
		}
		names = append(names, name)
		weights = append(weights, w)
	}
	return names, weights
}

// newWlist builds a list from specs "name:weight, ..."; each spec after the
// first is given a total weight of share times the first's when share is
// given as "@share|spec" (a mix of two lists).
func newWlist(specs ...string) *wlist {
	var vals []string
	var weights []float64
	index := map[string]int{}
	total0 := 0.0
	for k, spec := range specs {
		share := 1.0
		if strings.HasPrefix(spec, "@") {
			i := strings.IndexByte(spec, '|')
			f, err := strconv.ParseFloat(spec[1:i], 64)
			if err != nil {
				panic("synth: bad share " + spec[:i])
			}
			share, spec = f, spec[i+1:]
		}
		names, ws := parseWeights(spec)
		sum := 0.0
		for _, w := range ws {
			sum += w
		}
		scale := 1.0
		if k == 0 {
			total0 = sum
		} else {
			scale = share * total0 / sum
		}
		for i, name := range names {
			if j, ok := index[name]; ok {
				weights[j] += ws[i] * scale
				continue
			}
			index[name] = len(vals)
			vals = append(vals, name)
			weights = append(weights, ws[i]*scale)
		}
	}
	return &wlist{vals: vals, p: newPicker(weights)}
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// permuter is a keyed bijection of [0, n): a few rounds of multiply, add
// and xorshift on the smallest power of two at least n (each step is a
// bijection there), cycle-walked back into [0, n). It turns counters into
// serials that are unique and look random.
type permuter struct {
	n     uint64
	mask  uint64
	shift uint
	keys  [3]uint64
}

func newPermuter(n, key uint64) permuter {
	bitsN := uint(bits.Len64(n - 1))
	p := permuter{n: n, mask: 1<<bitsN - 1, shift: (bitsN + 1) / 2}
	for i := range p.keys {
		key = mix(key + 0x9e3779b97f4a7c15)
		p.keys[i] = key
	}
	return p
}

func (p *permuter) at(x uint64) uint64 {
	for {
		for _, k := range p.keys {
			x = (x*(k|1) + (k >> 32)) & p.mask
			x ^= x >> p.shift
		}
		if x < p.n {
			return x
		}
	}
}
