/*
 * cctf-avr-runner: the real cctf firmware (an AVR ELF) under simavr, with a pressure sensor on
 * ADC0 and USART0 on a pseudo-terminal.
 *
 *   cctf-avr-runner [options] FIRMWARE.elf
 *
 * - The MCU is the one the ELF names in its .mmcu section (atmega328p at 16 MHz otherwise).
 * - ADC0 carries an MPX5010DP: Vout = Vs x (0.09 x P[kPa] + 0.04), Vs = AVcc = 5 V. P comes from
 *   a pressure trace (text "t_s pressure_mmhg" lines, or float64 pairs in a .bin/.f64 file),
 *   interpolated at the simulated instant each conversion starts, plus optional Gaussian noise
 *   per conversion. The runner converts that voltage the way an ideal ATmega ADC would
 *   (code = round(Vin / Vref x 1024)) and sets the pin so that simavr's own integer formula
 *   (floor(mV x 1023 / Vref)) returns exactly that code.
 * - USART0 is bridged to a pty; its path is the first line on stdout (after that, stdout is
 *   redirected to stderr, so nothing else can appear there). --link makes a symlink to it.
 * - Time runs paced to the wall clock (simulated time = wall time since start), or as fast as
 *   possible with --fast. It stops at --duration-s of simulated time, or on SIGINT/SIGTERM.
 *
 * - Link faults (--garbage-rate-hz, --corrupt-prob, --drop-prob, --lose-boot-hello, --unplug,
 *   --reset-at) are injected between USART0 and the pty, frame by frame (a frame ends at a
 *   0x00), as the Python simulator's LinkFaults do: the real firmware and the real host meet
 *   garbage, bit flips, lost frames, a pulled cable and a boot HELLO that never arrives.
 *
 * Events go to stderr as "cctf-avr-runner: EVENT key=value ..." lines (ready, open, close,
 * reset, rx with -v, lag, unplug, replug, fault, stop) so that a supervising program can follow
 * the simulation.
 * Exit status: 0 stopped as asked, 1 bad usage, 2 cannot load or set up, 3 the MCU crashed or
 * halted.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <simavr/avr_adc.h>
#include <simavr/avr_eeprom.h>
#include <simavr/avr_twi.h>
#include <simavr/avr_uart.h>
#include <simavr/sim_avr.h>
#include <simavr/sim_elf.h>
#include <simavr/sim_io.h>
#include <simavr/sim_irq.h>
#include <simavr/sim_cycle_timers.h>

DEFINE_FIFO(uint16_t, uart_fifo); /* only isfull() is used: is the UART's RX FIFO full? */

#define PROG "cctf-avr-runner"
#define KPA_PER_MMHG 0.133322368
#define TICK_HZ 1000           /* the loop services the pty and paces every 1 ms simulated */
#define OUT_HIGH (64 * 1024)   /* --fast: stop simulating above this many unsent bytes ... */
#define OUT_LOW (16 * 1024)    /* ... until the host has read down to this */
#define OUT_CAP (1024 * 1024)  /* paced: bytes beyond this are dropped, as a real link would */
#define IN_CAP 4096
#define LAG_WARN_S 0.1

/* ATmega48/88/168/328 family registers (data-space addresses) */
#define REG_MCUSR 0x54
#define REG_ADMUX 0x7C
#define MCUSR_PORF 0x01
#define MCUSR_EXTRF 0x02
#define MCUSR_WDRF 0x08
#define MAX_EVENTS 16
#define FRAME_CAP 300

static volatile sig_atomic_t stop_signal;

/* A trace over time: one or two value columns (pressure; head pitch and roll). */
struct series {
	double *t_s, *y[2];
	size_t n, cap, cursor;
};

/* A random stream: xorshift64*, 53 random bits, never 0; Box-Muller makes Gaussians in pairs. */
struct rng {
	uint64_t state;
	int have_spare;
	double spare;
};

static struct {
	/* options */
	const char *elf_path, *trace_path, *link_path, *eeprom_path, *mcu, *head_path;
	uint32_t freq_hz;
	double const_mmhg, vcc_mv, noise_mv, offset_mv, duration_s;
	uint64_t seed;
	int fast, reset_on_open, adc_exact, verbose;

	/* the simulation */
	avr_t *avr;
	avr_uart_t *uart;
	avr_irq_t *adc_in;
	avr_cycle_count_t tick_cycles;
	void (*core_reset)(struct avr_t *);
	int resetting; /* a reset the runner itself does (so the hook does not report it twice) */
	int mcusr_family;

	struct series trace;
	struct rng noise;

	/* the pty */
	int master;
	char pty_name[128];
	int attached;
	uint8_t *out;
	size_t out_head, out_len;
	uint8_t in[IN_CAP];
	size_t in_len;

	/* link faults (device -> host), see fault_byte() */
	double garbage_rate_hz, corrupt_prob, drop_prob, lose_hello_prob;
	double unplug_s[MAX_EVENTS], unplug_len_s[MAX_EVENTS], reset_s[MAX_EVENTS];
	int n_unplug, n_reset, next_unplug, next_reset, faulty;
	double plug_back_s;  /* > 0 while the cable is out */
	double next_garbage_s;
	struct rng faults;
	uint8_t frame[FRAME_CAP];
	size_t frame_len;
	int first_frame_after_boot;
	unsigned long long f_garbage, f_corrupt, f_drop, f_hello_lost, f_unplug;

	/* statistics */
	unsigned long long bytes_out, bytes_in, dropped, adc_reads, resets;
	uint16_t min_sp; /* lowest stack pointer seen: the stack peak is ramend - min_sp */
	double max_lag_s;
	int lag_warned;
} R = {
	.freq_hz = 0,
	.vcc_mv = 5000.0,
	.adc_exact = 1,
	.master = -1,
	.seed = 1,
};

/* ---------------------------------------------------------------------------------------- */

static double sim_s(void)
{
	return (double)R.avr->cycle / (double)R.avr->frequency;
}

static void event(const char *kind, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, PROG ": %s", kind);
	if (R.avr)
		fprintf(stderr, " sim_s=%.6f", sim_s());
	if (fmt && *fmt) {
		fputc(' ', stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
	}
	fputc('\n', stderr);
	fflush(stderr);
}

static void die(int status, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, PROG ": error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void logger(avr_t *avr, const int level, const char *format, va_list ap)
{
	/* simavr's own messages: errors always, warnings and traces with -v / -vv */
	int limit = LOG_ERROR + R.verbose;
	if (level > limit)
		return;
	(void)avr;
	fputs("simavr: ", stderr);
	vfprintf(stderr, format, ap);
}

/* --- the pressure trace -------------------------------------------------------------------- */

static int has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* A trace over time with one or two value columns, read from a text or float64 file and
 * interpolated linearly (the pressure trace and the head-angle trace share it). */
struct series_kind {
	const char *name;     /* "trace", in messages */
	const char *values;   /* "pressure", in the finite-number message */
	const char *columns;  /* "t_s pressure_mmhg", the expected text line */
	const char *record;   /* "pair", one binary record */
	const char *binary;   /* "(t_s, pressure_mmhg) pairs" */
	int ncol, min_cols;   /* value columns; numbers a text line needs, time included */
};

static void series_push(struct series *s, const struct series_kind *k, const double *v,
			const char *where)
{
	for (int c = 0; c <= k->ncol; c++)
		if (!isfinite(v[c]))
			die(2, "%s: time and %s must be finite numbers", where, k->values);
	if (s->n && v[0] <= s->t_s[s->n - 1])
		die(2, "%s: times must increase (%.9g after %.9g)", where, v[0], s->t_s[s->n - 1]);
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 4096;
		s->t_s = realloc(s->t_s, s->cap * sizeof(double));
		if (!s->t_s)
			die(2, "out of memory reading the %s", k->name);
		for (int c = 0; c < k->ncol; c++) {
			s->y[c] = realloc(s->y[c], s->cap * sizeof(double));
			if (!s->y[c])
				die(2, "out of memory reading the %s", k->name);
		}
	}
	s->t_s[s->n] = v[0];
	for (int c = 0; c < k->ncol; c++)
		s->y[c][s->n] = v[c + 1];
	s->n++;
}

/* Text lines "t v1 [v2]" (# comments; separators space, tab or comma; a missing optional
 * column is 0), or float64 records in a .bin or .f64 file. */
static void series_load(struct series *s, const struct series_kind *k, const char *path)
{
	FILE *f = fopen(path, "rb");
	char where[PATH_MAX + 32];
	const int width = k->ncol + 1;
	if (!f)
		die(2, "cannot open %s %s: %s", k->name, path, strerror(errno));
	if (has_suffix(path, ".bin") || has_suffix(path, ".f64")) {
		double v[3];
		size_t r = 0;
		while (fread(v, sizeof(double), (size_t)width, f) == (size_t)width) {
			snprintf(where, sizeof where, "%s, %s %zu", path, k->record, r++);
			series_push(s, k, v, where);
		}
		if (!feof(f) || ftell(f) % (long)(width * sizeof(double)))
			die(2, "%s: not a whole number of float64 %s", path, k->binary);
	} else {
		char line[512];
		unsigned long lineno = 0;
		while (fgets(line, sizeof line, f)) {
			char *p = line, *end;
			double v[3] = {0, 0, 0};
			int c;
			lineno++;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p == '#' || *p == '\n' || *p == '\r' || *p == 0)
				continue;
			snprintf(where, sizeof where, "%s, line %lu", path, lineno);
			for (c = 0; c < width; c++) {
				while (*p == ' ' || *p == '\t' || *p == ',')
					p++;
				v[c] = strtod(p, &end);
				if (end == p)
					break;
				p = end;
			}
			if (c < k->min_cols)
				die(2, "%s: expected \"%s\"", where, k->columns);
			series_push(s, k, v, where);
		}
	}
	fclose(f);
	if (!s->n)
		die(2, "%s: the %s is empty", path, k->name);
}

/* Column c at time t: linear interpolation, holding the ends outside the trace. The cursor
 * makes a forward walk cheap; a step back (the head's low-pass delay) searches again. */
static double series_at(struct series *s, int c, double t)
{
	const double *y = s->y[c];
	if (t <= s->t_s[0])
		return y[0];
	if (t >= s->t_s[s->n - 1])
		return y[s->n - 1];
	if (t < s->t_s[s->cursor]) {
		size_t lo = 0, hi = s->n - 1;
		while (hi - lo > 1) {
			size_t mid = (lo + hi) / 2;
			if (s->t_s[mid] <= t)
				lo = mid;
			else
				hi = mid;
		}
		s->cursor = lo;
	}
	while (s->t_s[s->cursor + 1] <= t)
		s->cursor++;
	size_t i = s->cursor;
	double w = (t - s->t_s[i]) / (s->t_s[i + 1] - s->t_s[i]);
	return y[i] + w * (y[i + 1] - y[i]);
}

static const struct series_kind PRESSURE_TRACE = {
	"trace", "pressure", "t_s pressure_mmhg", "pair", "(t_s, pressure_mmhg) pairs", 1, 2,
};

/* Pressure at simulated time t (the constant --pressure-mmhg without a trace). */
static double pressure_at(double t)
{
	return R.trace.n ? series_at(&R.trace, 0, t) : R.const_mmhg;
}

static double rng_uniform(struct rng *g)
{
	g->state ^= g->state >> 12;
	g->state ^= g->state << 25;
	g->state ^= g->state >> 27;
	uint64_t x = g->state * 2685821657736338717ULL;
	return ((x >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static double rng_gaussian(struct rng *g)
{
	if (g->have_spare) {
		g->have_spare = 0;
		return g->spare;
	}
	double u = rng_uniform(g), v = rng_uniform(g);
	double r = sqrt(-2.0 * log(u));
	g->spare = r * sin(2 * M_PI * v);
	g->have_spare = 1;
	return r * cos(2 * M_PI * v);
}

/* --- the head sensor: an MPU-6050 on the TWI bus ------------------------------------------- */

/*
 * An InvenSense MPU-6050 at I2C address 0x68 (what a GY-521 on A4/A5 looks like to the
 * firmware), attached only when a head trace (--head-trace) or a constant head angle
 * (--head-pitch-deg / --head-roll-deg) is given: without them the bus is empty and WHO_AM_I goes
 * unanswered, as with no sensor fitted.
 *
 * The head angles (pitch about the ear-to-ear axis, + = flexion; roll, + = right ear down; see
 * firmware/cctf/head.h for the axes) become the accelerometer's reading of "up":
 *   (x, y, z) = (sin roll, cos roll sin pitch, cos roll cos pitch) x 16384 >> AFS_SEL
 * sampled the way the chip does: a new reading every 1 ms (SMPLRT_DIV 0 with the low-pass on),
 * delayed by the group delay of the low-pass chosen in CONFIG (4.9 ms for DLPF_CFG 3), plus
 * optional Gaussian noise (--head-noise-mg) from its own random stream. The gyro registers carry
 * the pitch rate on X and the roll rate on Z (131 LSB per deg/s; the firmware does not use
 * them); the temperature reads 25 C. Registers auto-increment; a burst read returns one
 * consistent snapshot, latched when the read starts. The chip wakes up asleep (PWR_MGMT_1 =
 * 0x40; its data registers read 0 until the firmware wakes it). --head-fail S:D makes it stop
 * answering (its address is not acknowledged) from S for D seconds, to exercise HEAD_FAULT.
 */

#define MPU_ADDR8 (0x68 << 1)
#define MPU_LSB_PER_G 16384.0
#define MPU_GYRO_LSB_PER_DPS 131.0

static struct {
	int fitted;
	struct series trace; /* pitch, roll; or one point (constant angles) */
	double const_pitch, const_roll, noise_mg;
	double fail_s[MAX_EVENTS], fail_len_s[MAX_EVENTS];
	int n_fail, have_const;
	struct rng noise;
	avr_irq_t *irq;
	uint8_t reg[128];
	uint8_t selected, ptr, index;
	unsigned long long reads, naks;
} H;

static const struct series_kind HEAD_TRACE = {
	"head trace", "angles", "t_s pitch_deg [roll_deg]", "triple",
	"(t_s, pitch_deg, roll_deg) triples", 2, 2,
};

static void put_i16(uint8_t *p, double v)
{
	long x = lround(v);
	if (x > 32767)
		x = 32767;
	if (x < -32768)
		x = -32768;
	p[0] = (uint8_t)((uint16_t)x >> 8);
	p[1] = (uint8_t)((uint16_t)x & 0xFF);
}

/* The data registers 0x3B..0x48 as the chip would show them now. */
static void head_latch(void)
{
	static const double delay_ms[8] = {0.0, 2.0, 3.0, 4.9, 8.5, 13.8, 19.0, 0.0};
	uint8_t *r = H.reg;
	if (r[0x6B] & 0x40) /* asleep */
		return;
	double t = floor(sim_s() * 1000.0) / 1000.0 - delay_ms[r[0x1A] & 7] * 1e-3;
	double p = series_at(&H.trace, 0, t) * M_PI / 180.0;
	double q = series_at(&H.trace, 1, t) * M_PI / 180.0;
	double lsb = MPU_LSB_PER_G / (double)(1 << ((r[0x1C] >> 3) & 3));
	double up[3] = {sin(q), cos(q) * sin(p), cos(q) * cos(p)};
	for (int k = 0; k < 3; k++)
		put_i16(r + 0x3B + 2 * k,
			(up[k] + (H.noise_mg > 0 ? H.noise_mg * 1e-3 * rng_gaussian(&H.noise) : 0.0)) * lsb);
	put_i16(r + 0x41, (25.0 - 36.53) * 340.0);
	double dt = 1e-3, dps = MPU_GYRO_LSB_PER_DPS / (double)(1 << ((r[0x1B] >> 3) & 3));
	put_i16(r + 0x43, (series_at(&H.trace, 0, t) - series_at(&H.trace, 0, t - dt)) / dt * dps);
	put_i16(r + 0x45, 0.0);
	put_i16(r + 0x47, (series_at(&H.trace, 1, t) - series_at(&H.trace, 1, t - dt)) / dt * dps);
}

static int head_failing(void)
{
	double now = sim_s();
	for (int i = 0; i < H.n_fail; i++)
		if (now >= H.fail_s[i] && now < H.fail_s[i] + H.fail_len_s[i])
			return 1;
	return 0;
}

static void head_answer(uint8_t msg, uint8_t data)
{
	avr_raise_irq(H.irq + TWI_IRQ_INPUT, avr_twi_irq_msg(msg, H.selected, data));
}

/* What the TWI master puts on the bus (the scheme of simavr's examples/parts/i2c_eeprom.c). */
static void head_bus(struct avr_irq_t *irq, uint32_t value, void *param)
{
	avr_twi_msg_irq_t v;
	(void)irq;
	(void)param;
	v.u.v = value;
	if (v.u.twi.msg & TWI_COND_STOP) {
		H.selected = 0;
		H.index = 0;
	}
	if (v.u.twi.msg & TWI_COND_START) {
		H.selected = 0;
		H.index = 0;
		if ((v.u.twi.addr & 0xFE) == MPU_ADDR8) {
			if (head_failing()) {
				H.naks++;
				return;
			}
			H.selected = v.u.twi.addr;
			if (H.selected & 1) { /* a read: latch the data registers for the burst */
				head_latch();
				if (H.ptr == 0x3B)
					H.reads++;
			}
			head_answer(TWI_COND_ACK, 1);
		}
	}
	if (!H.selected)
		return;
	if (v.u.twi.msg & TWI_COND_WRITE) {
		head_answer(TWI_COND_ACK, 1);
		if (H.index++ == 0) {
			H.ptr = v.u.twi.data & 0x7F;
		} else {
			if (H.ptr != 0x75 && !(H.ptr >= 0x3B && H.ptr <= 0x48)) /* read-only */
				H.reg[H.ptr] = v.u.twi.data;
			if (H.ptr == 0x6B && (v.u.twi.data & 0x80)) { /* DEVICE_RESET */
				memset(H.reg, 0, sizeof H.reg);
				H.reg[0x6B] = 0x40;
				H.reg[0x75] = 0x68;
			}
			H.ptr = (H.ptr + 1) & 0x7F;
		}
	}
	if (v.u.twi.msg & TWI_COND_READ) {
		head_answer(TWI_COND_READ, H.reg[H.ptr]);
		H.ptr = (H.ptr + 1) & 0x7F;
	}
}

static const char *head_irq_names[2] = {
	[TWI_IRQ_INPUT] = "8>mpu6050.out",
	[TWI_IRQ_OUTPUT] = "32<mpu6050.in",
};

static void head_attach(void)
{
	if (!H.fitted)
		return;
	if (!H.trace.n) {
		const double v[3] = {0.0, H.const_pitch, H.const_roll};
		series_push(&H.trace, &HEAD_TRACE, v, "--head-pitch-deg");
	}
	H.reg[0x6B] = 0x40; /* power-on: asleep */
	H.reg[0x75] = 0x68; /* WHO_AM_I */
	H.noise.state = (R.noise.state * 0xD1B54A32D192ED03ULL) | 1;
	H.irq = avr_alloc_irq(&R.avr->irq_pool, 0, 2, head_irq_names);
	avr_irq_register_notify(H.irq + TWI_IRQ_OUTPUT, head_bus, NULL);
	avr_irq_t *in = avr_io_getirq(R.avr, AVR_IOCTL_TWI_GETIRQ(0), TWI_IRQ_INPUT);
	avr_irq_t *out = avr_io_getirq(R.avr, AVR_IOCTL_TWI_GETIRQ(0), TWI_IRQ_OUTPUT);
	if (!in || !out)
		die(2, "this MCU has no TWI for the head sensor");
	avr_connect_irq(H.irq + TWI_IRQ_INPUT, in);
	avr_connect_irq(out, H.irq + TWI_IRQ_OUTPUT);
}

/* A power-on reset (the cable pulled and plugged back) powers the sensor off too. */
static void head_power_on(void)
{
	if (!H.fitted)
		return;
	memset(H.reg, 0, sizeof H.reg);
	H.reg[0x6B] = 0x40;
	H.reg[0x75] = 0x68;
	H.selected = H.index = H.ptr = 0;
}

/* The reference simavr uses for this conversion, in mV (ATmega328P REFS1:0 in ADMUX). */
static uint32_t adc_vref_mv(void)
{
	if (!R.mcusr_family)
		return R.avr->avcc;
	switch (R.avr->data[REG_ADMUX] >> 6) {
	case 0:
		return R.avr->aref;
	case 3:
		return 1100;
	default:
		return R.avr->avcc;
	}
}

/* Called by simavr when the firmware starts a conversion: set ADC0 for it. */
static void adc_trigger(struct avr_irq_t *irq, uint32_t value, void *param)
{
	union {
		avr_adc_mux_t mux;
		uint32_t v;
	} e = {.v = value};
	(void)irq;
	(void)param;
	if (e.mux.kind != ADC_MUX_SINGLE || e.mux.src != 0)
		return;
	R.adc_reads++;
	double p_kpa = pressure_at(sim_s()) * KPA_PER_MMHG;
	double vout_mv = R.vcc_mv * (0.09 * p_kpa + 0.04) + R.offset_mv;
	if (R.noise_mv > 0)
		vout_mv += R.noise_mv * rng_gaussian(&R.noise);
	if (vout_mv < 0)
		vout_mv = 0;
	if (vout_mv > R.vcc_mv)
		vout_mv = R.vcc_mv; /* the sensor's output cannot exceed its supply */
	uint32_t pin_mv;
	uint32_t vref = adc_vref_mv();
	if (R.adc_exact && vref) {
		/* An ideal ATmega ADC: code = Vin x 1024 / Vref, first step at 0.5 LSB. */
		double x = vout_mv * 1024.0 / vref;
		long code = (long)floor(x + 0.5);
		if (code < 0)
			code = 0;
		if (code > 1023)
			code = 1023;
		/* the smallest whole mV for which simavr's floor(mV x 1023 / Vref) == code */
		pin_mv = (uint32_t)((code * (uint64_t)vref + 1022) / 1023);
	} else {
		pin_mv = (uint32_t)lround(vout_mv);
	}
	avr_raise_irq(R.adc_in, pin_mv);
}

/* --- USART0 <-> pty ------------------------------------------------------------------------ */

static void out_append(uint8_t b)
{
	if (!R.attached) {
		R.dropped++; /* nobody has the port open: a real board's bytes vanish too */
		return;
	}
	if (R.out_head + R.out_len == OUT_CAP) {
		if (R.out_head == 0) {
			R.dropped++;
			return;
		}
		memmove(R.out, R.out + R.out_head, R.out_len);
		R.out_head = 0;
	}
	R.out[R.out_head + R.out_len++] = b;
}

/* --- link faults --------------------------------------------------------------------------- */

static double fault_uniform(void)
{
	return rng_uniform(&R.faults);
}

static double next_garbage_after(double t)
{
	return R.garbage_rate_hz > 0 ? t - log(fault_uniform()) / R.garbage_rate_hz : INFINITY;
}

/* A whole frame (its bytes up to and including the delimiter) reached the line: lose it, flip a
 * bit in it, or put a burst of garbage in front of it. */
static void frame_out(void)
{
	size_t n = R.frame_len;
	int first = R.first_frame_after_boot;
	R.frame_len = 0;
	R.first_frame_after_boot = 0;
	/* the type byte is never 0x00, so it follows the first COBS code byte: frame[1]; a SAMPLE
	 * is always 21 encoded bytes + its delimiter */
	if (first && n > 2 && R.frame[1] == 0x02 && R.lose_hello_prob > 0 &&
	    fault_uniform() < R.lose_hello_prob) {
		R.f_hello_lost++;
		event("fault", "kind=lost_boot_hello bytes=%zu", n);
		return;
	}
	if (n == 22 && R.frame[1] == 0x01 && R.drop_prob > 0 &&
	    fault_uniform() < R.drop_prob) {
		R.f_drop++;
		return;
	}
	if (sim_s() >= R.next_garbage_s) {
		int burst = 1 + (int)(fault_uniform() * 40);
		for (int i = 0; i < burst; i++)
			out_append((uint8_t)(fault_uniform() * 256));
		R.f_garbage++;
		R.next_garbage_s = next_garbage_after(sim_s());
	}
	if (R.corrupt_prob > 0 && fault_uniform() < R.corrupt_prob) {
		size_t bit = (size_t)(fault_uniform() * (double)((n - 1) * 8)); /* not the delimiter */
		R.frame[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		R.f_corrupt++;
	}
	for (size_t i = 0; i < n; i++)
		out_append(R.frame[i]);
}

static void fault_byte(uint8_t b)
{
	if (R.plug_back_s > 0) {
		R.dropped++; /* the cable is out */
		return;
	}
	if (b == 0x00 && R.frame_len == 0) {
		out_append(b); /* the 0x00 in front of a frame, or an empty frame */
		return;
	}
	if (R.frame_len < FRAME_CAP)
		R.frame[R.frame_len++] = b;
	if (b == 0x00 || R.frame_len == FRAME_CAP)
		frame_out();
}

static void uart_output(struct avr_irq_t *irq, uint32_t value, void *param)
{
	(void)irq;
	(void)param;
	if (R.faulty)
		fault_byte((uint8_t)value);
	else
		out_append((uint8_t)value);
}

static void feed_uart(void)
{
	size_t k = 0;
	if (!R.in_len)
		return;
	if (!R.uart || !avr_regbit_get(R.avr, R.uart->rxen))
		return; /* receiver off (booting): hold the bytes, as the host's UART would not */
	while (k < R.in_len && !uart_fifo_isfull(&R.uart->input)) {
		avr_raise_irq(R.uart->io.irq + UART_IRQ_INPUT, R.in[k]);
		k++;
	}
	memmove(R.in, R.in + k, R.in_len - k);
	R.in_len -= k;
}

static void flush_out(void)
{
	while (R.out_len && R.attached) {
		ssize_t n = write(R.master, R.out + R.out_head, R.out_len);
		if (n > 0) {
			R.out_head += (size_t)n;
			R.out_len -= (size_t)n;
			R.bytes_out += (unsigned long long)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break; /* EAGAIN: the host is not reading fast enough; EIO: it closed the port */
	}
	if (!R.out_len)
		R.out_head = 0;
}

static void mcu_reset(const char *cause, uint8_t mcusr);

static void set_attached(int attached)
{
	if (attached == R.attached)
		return;
	R.attached = attached;
	if (attached) {
		event("open", "");
		if (R.reset_on_open)
			mcu_reset("open", MCUSR_EXTRF); /* DTR pulse, as the Uno's USB converter does */
	} else {
		event("close", "pending_bytes=%zu", R.out_len);
		R.dropped += R.out_len;
		R.out_len = R.out_head = 0;
		R.in_len = 0;
	}
}

/* Read what the host wrote and notice it opening or closing the port; then move bytes. */
static void service_pty(void)
{
	uint8_t buf[1024];
	for (;;) {
		ssize_t n = read(R.master, buf, sizeof buf);
		if (n > 0) {
			set_attached(1);
			if (R.verbose) {
				char hex[2 * 64 + 1];
				size_t shown = (size_t)n < 64 ? (size_t)n : 64;
				for (size_t i = 0; i < shown; i++)
					snprintf(hex + 2 * i, 3, "%02x", buf[i]);
				hex[2 * shown] = 0;
				event("rx", "bytes=%zd hex=%s", n, hex);
			}
			R.bytes_in += (unsigned long long)n;
			if ((size_t)n > IN_CAP - R.in_len) {
				R.dropped += (unsigned long long)n - (IN_CAP - R.in_len);
				n = (ssize_t)(IN_CAP - R.in_len);
			}
			memcpy(R.in + R.in_len, buf, (size_t)n);
			R.in_len += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			set_attached(1); /* a program has the port open, nothing to read now */
		else if (n < 0 && errno == EIO)
			set_attached(0); /* no program has the port open */
		else if (n < 0)
			die(2, "reading the pty: %s", strerror(errno));
		break;
	}
	feed_uart();
	flush_out();
}

static void pty_open(void)
{
	int slave;
	struct termios tio;
	if (openpty(&R.master, &slave, R.pty_name, NULL, NULL) < 0)
		die(2, "openpty: %s", strerror(errno));
	if (tcgetattr(slave, &tio) == 0) {
		cfmakeraw(&tio); /* no echo, no line editing: bytes pass untouched */
		cfsetispeed(&tio, B115200);
		cfsetospeed(&tio, B115200);
		tcsetattr(slave, TCSANOW, &tio);
	}
	close(slave); /* from now on, reading the master fails with EIO until a program opens it */
	fcntl(R.master, F_SETFL, fcntl(R.master, F_GETFL) | O_NONBLOCK);
	fcntl(R.master, F_SETFD, FD_CLOEXEC);
	if (R.link_path) {
		char tmp[PATH_MAX];
		snprintf(tmp, sizeof tmp, "%s.new", R.link_path);
		unlink(tmp);
		if (symlink(R.pty_name, tmp) < 0 || rename(tmp, R.link_path) < 0)
			die(2, "cannot create the link %s: %s", R.link_path, strerror(errno));
	}
}

static void pty_close(void)
{
	if (R.link_path) {
		char target[PATH_MAX];
		ssize_t n = readlink(R.link_path, target, sizeof target - 1);
		if (n > 0) {
			target[n] = 0;
			if (strcmp(target, R.pty_name) == 0)
				unlink(R.link_path);
		}
	}
	if (R.master >= 0)
		close(R.master);
	R.master = -1;
}

/* At the end: give the host up to timeout_s to take what the firmware sent. */
static void drain_out(double timeout_s)
{
	double until = mono_s() + timeout_s;
	while (R.out_len && R.attached && mono_s() < until) {
		struct pollfd pfd = {.fd = R.master, .events = POLLOUT};
		poll(&pfd, 1, 20);
		flush_out();
	}
}

/* --- time ---------------------------------------------------------------------------------- */

static avr_cycle_count_t tick(struct avr_t *avr, avr_cycle_count_t when, void *param)
{
	/* A 1 ms heartbeat: keeps a sleeping MCU from jumping far past the loop's next service. */
	(void)avr;
	(void)param;
	return when + R.tick_cycles;
}

static void no_sleep(avr_t *avr, avr_cycle_count_t how_long)
{
	/* simavr would usleep() here; this runner paces (or not) by itself */
	(void)avr;
	(void)how_long;
}

static void reset_hook(struct avr_t *avr)
{
	/* Every reset (ours, or the firmware's watchdog) clears the cycle timers. */
	if (R.core_reset)
		R.core_reset(avr);
	avr_cycle_timer_register(avr, R.tick_cycles, tick, NULL);
	if (!R.resetting) {
		R.resets++;
		R.frame_len = 0;
		R.first_frame_after_boot = 1;
		event("reset", "cause=firmware");
	}
}

static void mcu_reset(const char *cause, uint8_t mcusr)
{
	R.resetting = 1;
	avr_reset(R.avr);
	R.resetting = 0;
	R.resets++;
	if (R.mcusr_family)
		R.avr->data[REG_MCUSR] = mcusr;
	R.frame_len = 0;
	R.first_frame_after_boot = 1;
	event("reset", "cause=%s", cause);
}

static void pty_open(void);
static void pty_close(void);

/* Scheduled faults that are not about single frames: the cable pulled and plugged back (the
 * board loses power and boots again: POWER_ON), and watchdog resets. */
static void scheduled_faults(void)
{
	double now = sim_s();
	if (R.plug_back_s > 0 && now >= R.plug_back_s) {
		R.plug_back_s = 0;
		pty_open(); /* a new pty behind the same --link path, as udev would name it */
		event("replug", "pty=%s", R.pty_name);
		head_power_on();
		mcu_reset("power_on", MCUSR_PORF);
		R.first_frame_after_boot = 1;
	}
	if (R.next_unplug < R.n_unplug && now >= R.unplug_s[R.next_unplug]) {
		double len = R.unplug_len_s[R.next_unplug++];
		event("unplug", "duration_s=%.3f", len);
		R.f_unplug++;
		R.dropped += R.out_len;
		R.out_len = R.out_head = 0;
		R.in_len = 0;
		R.frame_len = 0;
		R.attached = 0;
		pty_close();
		R.plug_back_s = now + len;
	}
	if (R.next_reset < R.n_reset && now >= R.reset_s[R.next_reset]) {
		R.next_reset++;
		if (R.plug_back_s == 0) {
			mcu_reset("watchdog", MCUSR_WDRF);
			R.first_frame_after_boot = 1;
		}
	}
}

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* --- EEPROM persistence -------------------------------------------------------------------- */

static void eeprom_io(int save)
{
	avr_eeprom_desc_t d = {0};
	uint32_t size = R.avr->e2end + 1;
	uint8_t *buf = calloc(1, size);
	if (!buf)
		return;
	if (!save) {
		FILE *f = fopen(R.eeprom_path, "rb");
		if (!f) {
			free(buf);
			return; /* first run: the EEPROM starts erased (0xFF) */
		}
		size_t n = fread(buf, 1, size, f);
		fclose(f);
		d.ee = buf;
		d.size = (uint32_t)n;
		avr_ioctl(R.avr, AVR_IOCTL_EEPROM_SET, &d);
		event("eeprom", "loaded=%zu path=%s", n, R.eeprom_path);
	} else {
		char tmp[PATH_MAX];
		d.ee = buf;
		d.size = size;
		avr_ioctl(R.avr, AVR_IOCTL_EEPROM_GET, &d);
		snprintf(tmp, sizeof tmp, "%s.new", R.eeprom_path);
		FILE *f = fopen(tmp, "wb");
		if (!f || fwrite(d.ee, 1, size, f) != size || fclose(f) != 0 ||
		    rename(tmp, R.eeprom_path) != 0)
			fprintf(stderr, PROG ": warning: cannot save the EEPROM to %s: %s\n",
				R.eeprom_path, strerror(errno));
	}
	free(buf);
}

/* --- setup --------------------------------------------------------------------------------- */

static void usage(FILE *to)
{
	fprintf(to,
		"usage: " PROG " [options] FIRMWARE.elf\n"
		"Run AVR firmware under simavr with a pressure sensor on ADC0 and USART0 on a pty.\n"
		"Prints the pty path as the first line on stdout; events go to stderr.\n\n"
		"  --trace FILE        pressure trace: \"t_s pressure_mmhg\" lines (# comments), or\n"
		"                      float64 pairs if FILE ends in .bin or .f64; linear\n"
		"                      interpolation, ends held\n"
		"  --pressure-mmhg P   constant pressure when there is no trace (default 0)\n"
		"  --noise-mv SD       Gaussian noise on the sensor output, per conversion (default 0)\n"
		"  --offset-mv MV      sensor offset error added to its output (default 0)\n"
		"  --vcc-mv MV         supply = AVcc = sensor Vs (default 5000, or the ELF's)\n"
		"  --simavr-adc        let simavr quantise the pin voltage itself (floor(mV*1023/Vref))\n"
		"                      instead of the ideal ADC's round(V*1024/Vref)\n"
		"  --seed N            noise seed (default 1)\n"
		"  --mcu NAME          override the ELF's MCU (default atmega328p)\n"
		"  --freq HZ           override the ELF's clock (default 16000000)\n"
		"  --link PATH         also publish the pty as this symlink\n"
		"  --reset-on-open     reset the MCU when a program opens the port (DTR, like an Uno)\n"
		"  --fast              run as fast as possible instead of paced to the wall clock\n"
		"  --duration-s S      stop after S seconds of simulated time\n"
		"  --eeprom FILE       load the EEPROM from FILE if it exists, save it there on exit\n"
		"  --garbage-rate-hz R bursts of 1-40 random bytes put between frames, R per second\n"
		"  --corrupt-prob P    probability a frame has one bit flipped\n"
		"  --drop-prob P       probability a SAMPLE frame is lost\n"
		"  --lose-boot-hello P probability the HELLO after a reset is lost\n"
		"  --unplug S:D        pull the cable at S s for D s (repeatable); power-on reset after\n"
		"  --reset-at S        a watchdog reset at S s (repeatable)\n"
		"  --head-trace FILE   fit an MPU-6050 head sensor on the TWI bus, its angles from\n"
		"                      \"t_s pitch_deg [roll_deg]\" lines, or float64 triples if FILE\n"
		"                      ends in .bin or .f64; without this or --head-pitch-deg no\n"
		"                      sensor is fitted\n"
		"  --head-pitch-deg P  fit the head sensor at a constant pitch (and --head-roll-deg R)\n"
		"  --head-noise-mg SD  Gaussian noise on each accelerometer axis, per reading\n"
		"  --head-fail S:D     the head sensor stops answering at S s for D s (repeatable)\n"
		"  -v                  log host writes (rx events) and simavr warnings; -vv traces\n"
		"  -h, --help          this help\n");
}

static double parse_double(const char *opt, const char *s, double lo, double hi)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !isfinite(v) || v < lo || v > hi) {
		fprintf(stderr, PROG ": %s: %s is not a number in [%g, %g]\n", opt, s, lo, hi);
		exit(1);
	}
	return v;
}

static void parse_args(int argc, char **argv)
{
	enum { O_TRACE = 256, O_P, O_NOISE, O_OFFSET, O_VCC, O_SIMAVR_ADC, O_SEED, O_MCU, O_FREQ,
	       O_LINK, O_RESET, O_FAST, O_DURATION, O_EEPROM, O_GARBAGE, O_CORRUPT, O_DROP,
	       O_LOSE_HELLO, O_UNPLUG, O_RESET_AT, O_HEAD_TRACE, O_HEAD_PITCH, O_HEAD_ROLL,
	       O_HEAD_NOISE, O_HEAD_FAIL };
	static const struct option opts[] = {
		{"trace", required_argument, 0, O_TRACE},
		{"pressure-mmhg", required_argument, 0, O_P},
		{"noise-mv", required_argument, 0, O_NOISE},
		{"offset-mv", required_argument, 0, O_OFFSET},
		{"vcc-mv", required_argument, 0, O_VCC},
		{"simavr-adc", no_argument, 0, O_SIMAVR_ADC},
		{"seed", required_argument, 0, O_SEED},
		{"mcu", required_argument, 0, O_MCU},
		{"freq", required_argument, 0, O_FREQ},
		{"link", required_argument, 0, O_LINK},
		{"reset-on-open", no_argument, 0, O_RESET},
		{"fast", no_argument, 0, O_FAST},
		{"duration-s", required_argument, 0, O_DURATION},
		{"eeprom", required_argument, 0, O_EEPROM},
		{"garbage-rate-hz", required_argument, 0, O_GARBAGE},
		{"corrupt-prob", required_argument, 0, O_CORRUPT},
		{"drop-prob", required_argument, 0, O_DROP},
		{"lose-boot-hello", required_argument, 0, O_LOSE_HELLO},
		{"unplug", required_argument, 0, O_UNPLUG},
		{"reset-at", required_argument, 0, O_RESET_AT},
		{"head-trace", required_argument, 0, O_HEAD_TRACE},
		{"head-pitch-deg", required_argument, 0, O_HEAD_PITCH},
		{"head-roll-deg", required_argument, 0, O_HEAD_ROLL},
		{"head-noise-mg", required_argument, 0, O_HEAD_NOISE},
		{"head-fail", required_argument, 0, O_HEAD_FAIL},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case O_TRACE: R.trace_path = optarg; break;
		case O_P: R.const_mmhg = parse_double("--pressure-mmhg", optarg, -1e4, 1e4); break;
		case O_NOISE: R.noise_mv = parse_double("--noise-mv", optarg, 0, 1000); break;
		case O_OFFSET: R.offset_mv = parse_double("--offset-mv", optarg, -5000, 5000); break;
		case O_VCC: R.vcc_mv = parse_double("--vcc-mv", optarg, 1000, 6000); break;
		case O_SIMAVR_ADC: R.adc_exact = 0; break;
		case O_SEED: R.seed = (uint64_t)parse_double("--seed", optarg, 0, 1e15); break;
		case O_MCU: R.mcu = optarg; break;
		case O_FREQ: R.freq_hz = (uint32_t)parse_double("--freq", optarg, 1e5, 1e8); break;
		case O_LINK: R.link_path = optarg; break;
		case O_RESET: R.reset_on_open = 1; break;
		case O_FAST: R.fast = 1; break;
		case O_DURATION: R.duration_s = parse_double("--duration-s", optarg, 1e-6, 1e7); break;
		case O_EEPROM: R.eeprom_path = optarg; break;
		case O_GARBAGE: R.garbage_rate_hz = parse_double("--garbage-rate-hz", optarg, 0, 1e4);
			break;
		case O_CORRUPT: R.corrupt_prob = parse_double("--corrupt-prob", optarg, 0, 1); break;
		case O_DROP: R.drop_prob = parse_double("--drop-prob", optarg, 0, 1); break;
		case O_LOSE_HELLO: R.lose_hello_prob = parse_double("--lose-boot-hello", optarg, 0, 1);
			break;
		case O_UNPLUG: {
			char *colon = strchr(optarg, ':');
			if (!colon || R.n_unplug >= MAX_EVENTS) {
				fprintf(stderr, PROG ": --unplug takes START:DURATION (seconds), at most %d\n",
					MAX_EVENTS);
				exit(1);
			}
			*colon = '\0';
			R.unplug_s[R.n_unplug] = parse_double("--unplug start", optarg, 0, 1e7);
			R.unplug_len_s[R.n_unplug++] = parse_double("--unplug duration", colon + 1, 1e-3,
								    1e7);
			break;
		}
		case O_RESET_AT:
			if (R.n_reset >= MAX_EVENTS) {
				fprintf(stderr, PROG ": at most %d --reset-at\n", MAX_EVENTS);
				exit(1);
			}
			R.reset_s[R.n_reset++] = parse_double("--reset-at", optarg, 0, 1e7);
			break;
		case O_HEAD_TRACE: R.head_path = optarg; H.fitted = 1; break;
		case O_HEAD_PITCH:
			H.const_pitch = parse_double("--head-pitch-deg", optarg, -180, 180);
			H.fitted = H.have_const = 1;
			break;
		case O_HEAD_ROLL:
			H.const_roll = parse_double("--head-roll-deg", optarg, -90, 90);
			H.fitted = H.have_const = 1;
			break;
		case O_HEAD_NOISE: H.noise_mg = parse_double("--head-noise-mg", optarg, 0, 1000); break;
		case O_HEAD_FAIL: {
			char *colon = strchr(optarg, ':');
			if (!colon || H.n_fail >= MAX_EVENTS) {
				fprintf(stderr, PROG ": --head-fail takes START:DURATION (seconds), at most "
					"%d\n", MAX_EVENTS);
				exit(1);
			}
			*colon = '\0';
			H.fail_s[H.n_fail] = parse_double("--head-fail start", optarg, 0, 1e7);
			H.fail_len_s[H.n_fail++] = parse_double("--head-fail duration", colon + 1, 1e-6,
								  1e7);
			break;
		}
		case 'v': R.verbose++; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(1);
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		exit(1);
	}
	R.elf_path = argv[optind];
	if (R.head_path && H.have_const) {
		fprintf(stderr, PROG ": --head-trace and --head-pitch-deg/--head-roll-deg exclude each "
			"other\n");
		exit(1);
	}
	/* SplitMix64 of the seed, so that small seeds give unrelated, non-zero states */
	uint64_t z = R.seed + 0x9E3779B97F4A7C15ULL;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	R.noise.state = (z ^ (z >> 31)) | 1;
	R.faults.state = (R.noise.state * 0x9E3779B97F4A7C15ULL) | 1; /* its own stream: noise is unchanged */
	R.faulty = R.garbage_rate_hz > 0 || R.corrupt_prob > 0 || R.drop_prob > 0 ||
		   R.lose_hello_prob > 0 || R.n_unplug > 0;
	R.next_garbage_s = next_garbage_after(0.0);
	R.first_frame_after_boot = 1;
	for (int i = 1; i < R.n_unplug; i++) /* keep them in time order */
		for (int j = i; j > 0 && R.unplug_s[j] < R.unplug_s[j - 1]; j--) {
			double a = R.unplug_s[j], b = R.unplug_len_s[j];
			R.unplug_s[j] = R.unplug_s[j - 1];
			R.unplug_len_s[j] = R.unplug_len_s[j - 1];
			R.unplug_s[j - 1] = a;
			R.unplug_len_s[j - 1] = b;
		}
	for (int i = 1; i < R.n_reset; i++)
		for (int j = i; j > 0 && R.reset_s[j] < R.reset_s[j - 1]; j--) {
			double a = R.reset_s[j];
			R.reset_s[j] = R.reset_s[j - 1];
			R.reset_s[j - 1] = a;
		}
}

static void setup_mcu(void)
{
	static elf_firmware_t fw; /* large: keep it off the stack */
	struct stat st;
	if (stat(R.elf_path, &st) < 0)
		die(2, "cannot read firmware %s: %s", R.elf_path, strerror(errno));
	if (elf_read_firmware(R.elf_path, &fw) < 0)
		die(2, "%s is not an AVR ELF file simavr can load", R.elf_path);
	if (R.mcu)
		snprintf(fw.mmcu, sizeof fw.mmcu, "%s", R.mcu);
	else if (!fw.mmcu[0])
		snprintf(fw.mmcu, sizeof fw.mmcu, "atmega328p");
	if (R.freq_hz)
		fw.frequency = R.freq_hz;
	else if (!fw.frequency)
		fw.frequency = 16000000;
	if (fw.avcc)
		R.vcc_mv = fw.avcc;
	if (!fw.vcc)
		fw.vcc = (uint32_t)lround(R.vcc_mv);
	if (!fw.avcc)
		fw.avcc = (uint32_t)lround(R.vcc_mv);
	if (!fw.aref)
		fw.aref = (uint32_t)lround(R.vcc_mv); /* the Uno's AREF pin is left open; never used */

	R.avr = avr_make_mcu_by_name(fw.mmcu);
	if (!R.avr)
		die(2, "simavr does not know the MCU \"%s\"", fw.mmcu);
	R.mcusr_family = strstr(fw.mmcu, "atmega328") || strstr(fw.mmcu, "atmega168") ||
			 strstr(fw.mmcu, "atmega88") || strstr(fw.mmcu, "atmega48");
	avr_init(R.avr);
	R.avr->log = LOG_ERROR + R.verbose;
	avr_load_firmware(R.avr, &fw);
	R.avr->frequency = fw.frequency;
	R.avr->sleep = no_sleep;
	R.tick_cycles = R.avr->frequency / TICK_HZ;

	/* find USART0, switch off its console echo and its usleep() on polling */
	for (avr_io_t *io = R.avr->io_port; io; io = io->next)
		if (io->kind && strcmp(io->kind, "uart") == 0 && ((avr_uart_t *)io)->name == '0')
			R.uart = (avr_uart_t *)io;
	if (!R.uart)
		die(2, "%s has no USART0", fw.mmcu);
	uint32_t flags = 0;
	avr_ioctl(R.avr, AVR_IOCTL_UART_GET_FLAGS('0'), &flags);
	flags &= ~(uint32_t)(AVR_UART_FLAG_POLL_SLEEP | AVR_UART_FLAG_STDIO);
	avr_ioctl(R.avr, AVR_IOCTL_UART_SET_FLAGS('0'), &flags);
	avr_irq_register_notify(R.uart->io.irq + UART_IRQ_OUTPUT, uart_output, NULL);

	R.adc_in = avr_io_getirq(R.avr, AVR_IOCTL_ADC_GETIRQ, ADC_IRQ_ADC0);
	avr_irq_t *trig = avr_io_getirq(R.avr, AVR_IOCTL_ADC_GETIRQ, ADC_IRQ_OUT_TRIGGER);
	if (!R.adc_in || !trig)
		die(2, "%s has no ADC", fw.mmcu);
	avr_irq_register_notify(trig, adc_trigger, NULL);
	head_attach();

	if (R.eeprom_path)
		eeprom_io(0);

	R.core_reset = R.avr->reset;
	R.avr->reset = reset_hook;
	avr_cycle_timer_register(R.avr, R.tick_cycles, tick, NULL);
	if (R.mcusr_family)
		R.avr->data[REG_MCUSR] = MCUSR_PORF; /* power-on reset */
}

/* --- main loop ----------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
	parse_args(argc, argv);
	avr_global_logger_set(logger);
	if (R.trace_path)
		series_load(&R.trace, &PRESSURE_TRACE, R.trace_path);
	if (R.head_path)
		series_load(&H.trace, &HEAD_TRACE, R.head_path);
	R.out = malloc(OUT_CAP);
	if (!R.out)
		die(2, "out of memory");
	setup_mcu();
	pty_open();
	atexit(pty_close); /* also on die(): never leave a dangling link behind */

	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	printf("%s\n", R.pty_name);
	fflush(stdout);
	dup2(STDERR_FILENO, STDOUT_FILENO); /* the port path stays the only line on stdout */

	event("ready", "mcu=%s freq_hz=%u pty=%s link=%s mode=%s reset_on_open=%d trace_points=%zu "
	      "noise_mv=%g offset_mv=%g vcc_mv=%g adc=%s head=%s head_points=%zu",
	      R.avr->mmcu, R.avr->frequency, R.pty_name, R.link_path ? R.link_path : "-",
	      R.fast ? "fast" : "paced", R.reset_on_open, R.trace.n, R.noise_mv, R.offset_mv, R.vcc_mv,
	      R.adc_exact ? "ideal" : "simavr", H.fitted ? "mpu6050" : "none", H.trace.n);

	const avr_cycle_count_t end_cycle =
		R.duration_s > 0 ? (avr_cycle_count_t)llround(R.duration_s * R.avr->frequency) : 0;
	const char *reason = "signal";
	int status = 0;
	R.min_sp = R.avr->ramend;
	double wall0 = mono_s();
	struct timespec due;
	clock_gettime(CLOCK_MONOTONIC, &due);
	const struct timespec wall0_ts = due;

	for (;;) {
		if (stop_signal)
			break;
		avr_cycle_count_t target = R.avr->cycle + R.tick_cycles;
		if (end_cycle && target > end_cycle)
			target = end_cycle;
		int state = cpu_Running;
		while (R.avr->cycle < target) {
			state = avr_run(R.avr);
			if (state == cpu_Done || state == cpu_Crashed)
				break;
			uint16_t sp = (uint16_t)(R.avr->data[R_SPL] | (R.avr->data[R_SPH] << 8));
			if (sp > 0x100 && sp < R.min_sp) /* (0 before the startup code sets it) */
				R.min_sp = sp;
		}
		if (state == cpu_Done || state == cpu_Crashed) {
			reason = state == cpu_Done ? "halted" : "crashed";
			event(reason, "pc=0x%04x", (unsigned)R.avr->pc);
			status = 3;
			break;
		}
		scheduled_faults();
		if (R.master >= 0)
			service_pty();
		if (end_cycle && R.avr->cycle >= end_cycle) {
			reason = "duration";
			break;
		}
		if (R.fast) {
			/* backpressure instead of loss: wait for a slow reader */
			if (R.out_len > OUT_HIGH) {
				while (R.out_len > OUT_LOW && R.attached && !stop_signal) {
					struct pollfd pfd = {.fd = R.master, .events = POLLOUT};
					poll(&pfd, 1, 20);
					service_pty();
				}
			}
			continue;
		}
		/* paced: sleep until the wall clock catches up with simulated time */
		uint64_t ns = (uint64_t)((double)R.avr->cycle * 1e9 / R.avr->frequency);
		due.tv_sec = wall0_ts.tv_sec + (time_t)(ns / 1000000000ULL);
		due.tv_nsec = wall0_ts.tv_nsec + (long)(ns % 1000000000ULL);
		if (due.tv_nsec >= 1000000000L) {
			due.tv_sec++;
			due.tv_nsec -= 1000000000L;
		}
		double lag = mono_s() - (wall0 + (double)ns * 1e-9);
		if (lag > 0) {
			if (lag > R.max_lag_s)
				R.max_lag_s = lag;
			if (lag > LAG_WARN_S && !R.lag_warned) {
				R.lag_warned = 1;
				event("lag", "behind_s=%.3f", lag);
				fprintf(stderr, PROG ": warning: simulated time is falling behind the wall "
					"clock (this computer cannot run the MCU in real time)\n");
			}
			continue;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL) == EINTR &&
		       !stop_signal)
			;
	}
	double wall = mono_s() - wall0;
	drain_out(1.0);
	if (R.eeprom_path)
		eeprom_io(1);
	event("stop", "reason=%s wall_s=%.3f speed=%.2f cycles=%llu adc_reads=%llu bytes_out=%llu "
	      "bytes_in=%llu dropped=%llu resets=%llu max_lag_ms=%.1f garbage_bursts=%llu "
	      "corrupted=%llu frames_lost=%llu boot_hellos_lost=%llu unplugs=%llu stack_peak=%u "
	      "head_reads=%llu head_naks=%llu",
	      reason, wall, wall > 0 ? sim_s() / wall : 0.0, (unsigned long long)R.avr->cycle,
	      R.adc_reads, R.bytes_out, R.bytes_in, R.dropped, R.resets, R.max_lag_s * 1e3,
	      R.f_garbage, R.f_corrupt, R.f_drop, R.f_hello_lost, R.f_unplug,
	      (unsigned)(R.avr->ramend - R.min_sp), H.reads, H.naks);
	pty_close();
	return status;
}
