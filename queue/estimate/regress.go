package estimate

import (
	"math"
	"time"
)

// nReg is the number of features of the ridge regression; see
// regFeatures for what they are.
const nReg = 13

// ridge is an exponentially weighted ridge regression with an intercept:
// it keeps weighted sums of the features and target, forgets old examples
// geometrically, and solves on standardised features, so the penalty means
// the same whatever a feature's unit.
type ridge struct {
	w   float64 // total weight
	sx  [nReg]float64
	sxx [nReg][nReg]float64
	sxy [nReg]float64
	sy  float64
	n   int // examples added

	// coefficients of the last solve
	alpha float64
	beta  [nReg]float64
}

// add records one example with weight 1, after discounting the earlier
// ones so that the fit remembers about memory examples.
func (r *ridge) add(x [nReg]float64, y, memory float64) {
	d := 1 - 1/memory
	r.w = r.w*d + 1
	r.sy = r.sy*d + y
	for i := range nReg {
		r.sx[i] = r.sx[i]*d + x[i]
		r.sxy[i] = r.sxy[i]*d + x[i]*y
		for j := range nReg {
			r.sxx[i][j] = r.sxx[i][j]*d + x[i]*x[j]
		}
	}
	r.n++
}

// solve refits the coefficients with ridge penalty lambda on the
// standardised features. A feature that has barely varied gets no weight:
// the data say nothing about it.
func (r *ridge) solve(lambda float64) {
	r.alpha, r.beta = 0, [nReg]float64{}
	if r.w <= 0 {
		return
	}
	var mean [nReg]float64
	for i := range nReg {
		mean[i] = r.sx[i] / r.w
	}
	my := r.sy / r.w
	// Centred covariance of the active features, scaled to correlations.
	var active [nReg]int
	var sd [nReg]float64
	k := 0
	for i := range nReg {
		v := r.sxx[i][i]/r.w - mean[i]*mean[i]
		if v > 1e-9*(mean[i]*mean[i]+1) {
			active[k], sd[k] = i, math.Sqrt(v)
			k++
		}
	}
	var m [nReg][nReg + 1]float64
	for a := range k {
		i := active[a]
		for b := range k {
			j := active[b]
			m[a][b] = (r.sxx[i][j]/r.w - mean[i]*mean[j]) / (sd[a] * sd[b])
		}
		m[a][a] += lambda
		m[a][k] = (r.sxy[i]/r.w - mean[i]*my) / sd[a]
	}
	z, ok := solveLinear(m[:k], k)
	if !ok {
		r.alpha = my
		return
	}
	r.alpha = my
	for a := range k {
		i := active[a]
		r.beta[i] = z[a] / sd[a]
		r.alpha -= r.beta[i] * mean[i]
	}
}

// predict is the fitted target for features x.
func (r *ridge) predict(x [nReg]float64) float64 {
	y := r.alpha
	for i := range nReg {
		y += r.beta[i] * x[i]
	}
	return y
}

// solveLinear solves the k×k system in m (augmented with the right-hand
// side in column k) by Gauss-Jordan elimination with partial pivoting. It
// reports false if the system is singular.
func solveLinear(m [][nReg + 1]float64, k int) ([nReg]float64, bool) {
	var z [nReg]float64
	for c := range k {
		p := c
		for r := c + 1; r < k; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[p][c]) {
				p = r
			}
		}
		m[c], m[p] = m[p], m[c]
		if m[c][c] == 0 || math.IsNaN(m[c][c]) {
			return z, false
		}
		for r := range k {
			if r == c {
				continue
			}
			f := m[r][c] / m[c][c]
			for j := c; j <= k; j++ {
				m[r][j] -= f * m[c][j]
			}
		}
	}
	for i := range k {
		z[i] = m[i][k] / m[i][i]
		if math.IsNaN(z[i]) || math.IsInf(z[i], 0) {
			return [nReg]float64{}, false
		}
	}
	return z, true
}

// calibration adapts the quantiles of recent errors that bound the 80%
// interval so that, over time, 10% of waits fall below it and 10% above
// (adaptive conformal inference, Gibbs & Candès 2021): each wait that
// misses on one side moves that side's quantile outwards by calStep × 0.9,
// each that does not moves it inwards by calStep × 0.1. Where recent errors
// foretell the next ones the quantiles stay near 10% and 90%; where errors
// drift (a queue growing all afternoon) they widen until the interval
// covers again.
type calibration struct{ low, high float64 }

// calStep is the adaptation rate, per scored wait.
const calStep = 0.005

func newCalibration() calibration { return calibration{low: 0.1, high: 0.9} }

// update scores the interval told against the actual wait.
func (c *calibration) update(told Range, actual time.Duration) {
	below, above := 0.0, 0.0
	if actual < told.Low {
		below = 1
	}
	if actual > told.High {
		above = 1
	}
	c.low = min(max(c.low+calStep*(0.1-below), 0), 0.5)
	c.high = min(max(c.high-calStep*(0.1-above), 0.5), 1)
}
