/* Small FMI 2.0 co-simulation FMUs in C, for tests/test_third_party_fmus.py.
 *
 * One source, several FMUs: the test compiles it once per model with
 *   gcc -shared -fPIC -I<fmpy>/c-code -DMODEL_GUID="\"{...}\"" [-DNO_STATE] [-DT_STOP=1.0] [-DT_FAIL=0.5]
 * and writes each model's modelDescription.xml (the value references below are the contract).
 *
 * The model, per communication step from t to t + h:
 *   Real     x     += h * (u - x) / tau          (explicit Euler lag; u input [K], x output [K])
 *   Integer  counter += 1 + n_in                 (a counter; n_in input)
 *   Boolean  toggle  = !toggle XOR b_in          (a toggle; b_in input)
 *   Enum     mode    = (counter + mode_in) mod 3 + 1   (1 off, 2 heating, 3 cooling; mode_in an
 *                                                 input of the same Enumeration)
 *   Real     level   = 0.5 * counter             (a Real without a unit)
 *   String   status  = "[s_in|]<mode name>:<counter>"  (s_in input)
 * T_STOP: the FMU ends the simulation at t_stop (fmi2DoStep returns fmi2Discard with
 *   fmi2Terminated true; a step that crosses t_stop stops at it, lastSuccessfulTime = t_stop).
 *   A step that ends at t_stop returns fmi2OK and the next one is refused, unless STOP_IN_STEP:
 *   then that step itself returns fmi2Discard with fmi2Terminated (the Reference FMU Stair's
 *   behaviour: its last event ends the step and the simulation at once).
 * U_START, N_IN_START, MODE_IN_START, B_IN_START, S_IN_START: the inputs' start values (0, 0, 1,
 *   false, ""; the modelDescription must declare the same).
 * T_FAIL: fmi2DoStep from t >= t_fail returns fmi2Error (logged).
 * NO_STATE: fmi2GetFMUstate/fmi2SetFMUstate fail (canGetAndSetFMUstate="false").
 * INTERPOLATE: canInterpolateInputs: fmi2SetRealInputDerivatives takes u's first and second
 *   derivatives for the coming step, and x integrates u's mean over it:
 *   x += h * (u + du h/2 + ddu h^2/6 - x) / tau (the derivatives are cleared after the step).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmi2Functions.h"

#ifndef MODEL_GUID
#error "define MODEL_GUID"
#endif
#ifndef T_STOP
#define T_STOP 1e300
#endif
#ifndef T_FAIL
#define T_FAIL 1e300
#endif
#ifndef U_START
#define U_START 0.0
#endif
#ifndef N_IN_START
#define N_IN_START 0
#endif
#ifndef MODE_IN_START
#define MODE_IN_START 1
#endif
#ifndef B_IN_START
#define B_IN_START fmi2False
#endif
#ifndef S_IN_START
#define S_IN_START ""
#endif

#define NSTR 64

/* value references */
enum { R_U, R_X, R_TAU, R_LEVEL, R_TSTOP, R_TFAIL, N_REAL };
enum { I_N_IN, I_COUNTER, I_MODE_IN, I_MODE, N_INT };
enum { B_B_IN, B_TOGGLE, N_BOOL };
enum { S_S_IN, S_STATUS, N_STR };

typedef struct {
    fmi2Real r[N_REAL];
    fmi2Integer i[N_INT];
    fmi2Boolean b[N_BOOL];
    char s[N_STR][NSTR];
    fmi2Real time;
    fmi2Boolean terminated;
    fmi2Real du, ddu; /* INTERPOLATE: u's derivatives for the coming step */
} State;

typedef struct {
    State st;
    fmi2CallbackLogger logger;
    fmi2ComponentEnvironment env;
    char name[NSTR];
} Instance;

static const char *MODE_NAMES[] = {"off", "heating", "cooling"};

static void log_msg(Instance *c, fmi2Status status, const char *category, const char *msg) {
    if (c->logger) c->logger(c->env, c->name, status, category, msg); /* msg has no '%' */
}

static void defaults(State *s) {
    memset(s, 0, sizeof *s);
    s->r[R_TAU] = 1.0;
    s->r[R_TSTOP] = T_STOP;
    s->r[R_TFAIL] = T_FAIL;
    s->r[R_U] = U_START;
    s->i[I_N_IN] = N_IN_START;
    s->i[I_MODE_IN] = MODE_IN_START;
    s->b[B_B_IN] = B_IN_START;
    snprintf(s->s[S_S_IN], NSTR, "%s", S_IN_START);
    s->i[I_MODE] = 1;
    strcpy(s->s[S_STATUS], "off:0");
}

static int close_to(double a, double b) { return fabs(a - b) <= 1e-9 * fmax(1.0, fabs(b)); }

/* ---- common functions ---- */
const char *fmi2GetTypesPlatform(void) { return fmi2TypesPlatform; }
const char *fmi2GetVersion(void) { return fmi2Version; }

fmi2Status fmi2SetDebugLogging(fmi2Component c, fmi2Boolean on, size_t n, const fmi2String cat[]) {
    (void)c; (void)on; (void)n; (void)cat;
    return fmi2OK;
}

fmi2Component fmi2Instantiate(fmi2String name, fmi2Type type, fmi2String guid, fmi2String location,
                              const fmi2CallbackFunctions *functions, fmi2Boolean visible, fmi2Boolean loggingOn) {
    (void)location; (void)visible; (void)loggingOn;
    if (type != fmi2CoSimulation || !guid || strcmp(guid, MODEL_GUID) != 0) {
        if (functions && functions->logger)
            functions->logger(functions->componentEnvironment, name, fmi2Error, "error", "wrong GUID or FMU type");
        return NULL;
    }
    Instance *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->logger = functions ? functions->logger : NULL;
    c->env = functions ? functions->componentEnvironment : NULL;
    snprintf(c->name, NSTR, "%s", name ? name : "");
    defaults(&c->st);
    return c;
}

void fmi2FreeInstance(fmi2Component c) { free(c); }

fmi2Status fmi2SetupExperiment(fmi2Component c, fmi2Boolean tolDefined, fmi2Real tol, fmi2Real start,
                               fmi2Boolean stopDefined, fmi2Real stop) {
    (void)tolDefined; (void)tol; (void)stopDefined; (void)stop;
    ((Instance *)c)->st.time = start;
    return fmi2OK;
}

fmi2Status fmi2EnterInitializationMode(fmi2Component c) { (void)c; return fmi2OK; }
fmi2Status fmi2ExitInitializationMode(fmi2Component c) { (void)c; return fmi2OK; }
fmi2Status fmi2Terminate(fmi2Component c) { (void)c; return fmi2OK; }

fmi2Status fmi2Reset(fmi2Component c) {
    defaults(&((Instance *)c)->st);
    return fmi2OK;
}

/* ---- values ---- */
fmi2Status fmi2GetReal(fmi2Component c, const fmi2ValueReference vr[], size_t n, fmi2Real v[]) {
    State *s = &((Instance *)c)->st;
    for (size_t k = 0; k < n; k++) {
        if (vr[k] >= N_REAL) return fmi2Error;
        v[k] = s->r[vr[k]];
    }
    return fmi2OK;
}

fmi2Status fmi2GetInteger(fmi2Component c, const fmi2ValueReference vr[], size_t n, fmi2Integer v[]) {
    State *s = &((Instance *)c)->st;
    for (size_t k = 0; k < n; k++) {
        if (vr[k] >= N_INT) return fmi2Error;
        v[k] = s->i[vr[k]];
    }
    return fmi2OK;
}

fmi2Status fmi2GetBoolean(fmi2Component c, const fmi2ValueReference vr[], size_t n, fmi2Boolean v[]) {
    State *s = &((Instance *)c)->st;
    for (size_t k = 0; k < n; k++) {
        if (vr[k] >= N_BOOL) return fmi2Error;
        v[k] = s->b[vr[k]];
    }
    return fmi2OK;
}

fmi2Status fmi2GetString(fmi2Component c, const fmi2ValueReference vr[], size_t n, fmi2String v[]) {
    State *s = &((Instance *)c)->st;
    for (size_t k = 0; k < n; k++) {
        if (vr[k] >= N_STR) return fmi2Error;
        v[k] = s->s[vr[k]];
    }
    return fmi2OK;
}

fmi2Status fmi2SetReal(fmi2Component c, const fmi2ValueReference vr[], size_t n, const fmi2Real v[]) {
    State *s = &((Instance *)c)->st;
    for (size_t k = 0; k < n; k++) {
        if (vr[k] >= N_REAL) return fmi2Error;
        s->r[vr[k]] = v[k];
    }
    return fmi2OK;
}

fmi2Status fmi2SetInteger(fmi2Component c, const fmi2ValueReference vr[], size_t n, const fmi2Integer v[]) {
    State *s = &((Instance *)c)->st;
    for (size_t k = 0; k < n; k++) {
        if (vr[k] >= N_INT) return fmi2Error;
        s->i[vr[k]] = v[k];
    }
    return fmi2OK;
}

fmi2Status fmi2SetBoolean(fmi2Component c, const fmi2ValueReference vr[], size_t n, const fmi2Boolean v[]) {
    State *s = &((Instance *)c)->st;
    for (size_t k = 0; k < n; k++) {
        if (vr[k] >= N_BOOL) return fmi2Error;
        s->b[vr[k]] = v[k] ? fmi2True : fmi2False;
    }
    return fmi2OK;
}

fmi2Status fmi2SetString(fmi2Component c, const fmi2ValueReference vr[], size_t n, const fmi2String v[]) {
    State *s = &((Instance *)c)->st;
    for (size_t k = 0; k < n; k++) {
        if (vr[k] >= N_STR) return fmi2Error;
        snprintf(s->s[vr[k]], NSTR, "%s", v[k] ? v[k] : "");
    }
    return fmi2OK;
}

/* ---- state ---- */
fmi2Status fmi2GetFMUstate(fmi2Component c, fmi2FMUstate *state) {
#ifdef NO_STATE
    (void)state;
    log_msg((Instance *)c, fmi2Error, "error", "this FMU cannot save its state");
    return fmi2Error;
#else
    State *copy = *state ? (State *)*state : malloc(sizeof *copy);
    if (!copy) return fmi2Error;
    *copy = ((Instance *)c)->st;
    *state = copy;
    return fmi2OK;
#endif
}

fmi2Status fmi2SetFMUstate(fmi2Component c, fmi2FMUstate state) {
#ifdef NO_STATE
    (void)state;
    log_msg((Instance *)c, fmi2Error, "error", "this FMU cannot restore a state");
    return fmi2Error;
#else
    if (!state) return fmi2Error;
    ((Instance *)c)->st = *(State *)state;
    return fmi2OK;
#endif
}

fmi2Status fmi2FreeFMUstate(fmi2Component c, fmi2FMUstate *state) {
    (void)c;
    if (state && *state) {
        free(*state);
        *state = NULL;
    }
    return fmi2OK;
}

fmi2Status fmi2SerializedFMUstateSize(fmi2Component c, fmi2FMUstate state, size_t *size) {
    (void)c; (void)state; (void)size;
    return fmi2Error;
}

fmi2Status fmi2SerializeFMUstate(fmi2Component c, fmi2FMUstate state, fmi2Byte bytes[], size_t size) {
    (void)c; (void)state; (void)bytes; (void)size;
    return fmi2Error;
}

fmi2Status fmi2DeSerializeFMUstate(fmi2Component c, const fmi2Byte bytes[], size_t size, fmi2FMUstate *state) {
    (void)c; (void)bytes; (void)size; (void)state;
    return fmi2Error;
}

fmi2Status fmi2GetDirectionalDerivative(fmi2Component c, const fmi2ValueReference u[], size_t nu,
                                        const fmi2ValueReference z[], size_t nz, const fmi2Real dv[], fmi2Real dz[]) {
    (void)c; (void)u; (void)nu; (void)z; (void)nz; (void)dv; (void)dz;
    return fmi2Error;
}

/* ---- co-simulation ---- */
fmi2Status fmi2SetRealInputDerivatives(fmi2Component c, const fmi2ValueReference vr[], size_t n,
                                       const fmi2Integer order[], const fmi2Real v[]) {
#ifdef INTERPOLATE
    State *s = &((Instance *)c)->st;
    for (size_t k = 0; k < n; k++) {
        if (vr[k] != R_U || order[k] < 1 || order[k] > 2) return fmi2Error;
        if (order[k] == 1) s->du = v[k]; else s->ddu = v[k];
    }
    return fmi2OK;
#else
    (void)c; (void)vr; (void)n; (void)order; (void)v;
    return fmi2Error;
#endif
}

fmi2Status fmi2GetRealOutputDerivatives(fmi2Component c, const fmi2ValueReference vr[], size_t n,
                                        const fmi2Integer order[], fmi2Real v[]) {
    (void)c; (void)vr; (void)n; (void)order; (void)v;
    return fmi2Error;
}

fmi2Status fmi2DoStep(fmi2Component comp, fmi2Real t, fmi2Real h, fmi2Boolean noSetPrior) {
    (void)noSetPrior;
    Instance *c = (Instance *)comp;
    State *s = &c->st;
    char msg[128];
    if (t >= s->r[R_TFAIL] || close_to(t, s->r[R_TFAIL])) {
        snprintf(msg, sizeof msg, "injected failure in the step from t=%g s", t);
        log_msg(c, fmi2Error, "error", msg);
        return fmi2Error;
    }
    if (s->terminated || t >= s->r[R_TSTOP] || close_to(t, s->r[R_TSTOP])) {
        s->terminated = fmi2True;
        return fmi2Discard; /* nothing more to compute: lastSuccessfulTime stays at t */
    }
    double step = h;
    int last = 0;
#ifdef STOP_IN_STEP
    if (t + h > s->r[R_TSTOP] || close_to(t + h, s->r[R_TSTOP])) {
#else
    if (t + h > s->r[R_TSTOP] && !close_to(t + h, s->r[R_TSTOP])) {
#endif
        step = s->r[R_TSTOP] - t; /* the step reaches (crosses) t_stop: stop there */
        last = 1;
    }
    double u_mean = s->r[R_U];
#ifdef INTERPOLATE
    u_mean += step * (s->du / 2 + step * s->ddu / 6);
    s->du = s->ddu = 0.0;
#endif
    s->r[R_X] += step * (u_mean - s->r[R_X]) / s->r[R_TAU];
    s->i[I_COUNTER] += 1 + s->i[I_N_IN];
    s->b[B_TOGGLE] = (!s->b[B_TOGGLE]) != (s->b[B_B_IN] != 0);
    int m = (s->i[I_COUNTER] + s->i[I_MODE_IN]) % 3;
    if (m < 0) m += 3;
    s->i[I_MODE] = m + 1;
    s->r[R_LEVEL] = 0.5 * s->i[I_COUNTER];
    if (s->s[S_S_IN][0])
        snprintf(s->s[S_STATUS], NSTR, "%.20s|%s:%d", s->s[S_S_IN], MODE_NAMES[m], (int)s->i[I_COUNTER]);
    else
        snprintf(s->s[S_STATUS], NSTR, "%s:%d", MODE_NAMES[m], (int)s->i[I_COUNTER]);
    s->time = t + step;
    if (last) {
        s->terminated = fmi2True;
        return fmi2Discard;
    }
    return fmi2OK;
}

fmi2Status fmi2CancelStep(fmi2Component c) { (void)c; return fmi2Error; }

fmi2Status fmi2GetStatus(fmi2Component c, const fmi2StatusKind kind, fmi2Status *value) {
    (void)c; (void)kind; (void)value;
    return fmi2Discard;
}

fmi2Status fmi2GetRealStatus(fmi2Component c, const fmi2StatusKind kind, fmi2Real *value) {
    if (kind != fmi2LastSuccessfulTime) return fmi2Discard;
    *value = ((Instance *)c)->st.time;
    return fmi2OK;
}

fmi2Status fmi2GetIntegerStatus(fmi2Component c, const fmi2StatusKind kind, fmi2Integer *value) {
    (void)c; (void)kind; (void)value;
    return fmi2Discard;
}

fmi2Status fmi2GetBooleanStatus(fmi2Component c, const fmi2StatusKind kind, fmi2Boolean *value) {
    if (kind != fmi2Terminated) return fmi2Discard;
    *value = ((Instance *)c)->st.terminated;
    return fmi2OK;
}

fmi2Status fmi2GetStringStatus(fmi2Component c, const fmi2StatusKind kind, fmi2String *value) {
    (void)c; (void)kind; (void)value;
    return fmi2Discard;
}
