/* A plain FMI 2.0 co-simulation master in C, as a native simulator runs an FMU: no Python in the
 * process.  tests/test_native_masters.py compiles it (gcc, against fmpy's copy of the FMI headers)
 * and runs it in a subprocess with an empty environment.
 *
 *   fmi2_master BINARY GUID RESOURCE_URI STEP NSTEPS [SET...] [-- GET...]
 *
 * SET: rVR=VALUE | iVR=VALUE | bVR=0|1 | sVR=TEXT, set in initialisation mode;
 * GET: the value references of the Reals printed after initialisation and after every step.
 * Prints `LOG <status> <category> <message>` for each logger call and `OUT <t> <values...>` (%.17g)
 * per communication point.  Exit status: 0 done; 3 a missing FMI function; 4 dlopen failed;
 * 5 fmi2Instantiate returned NULL; 6-9 setup / enter / exit initialisation / a step failed.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmi2Functions.h"

#define MAXV 256

static void logger(fmi2ComponentEnvironment env, fmi2String instance, fmi2Status status,
                   fmi2String category, fmi2String message, ...) {
    va_list args;
    (void)env;
    (void)instance;
    va_start(args, message);
    printf("LOG %d %s ", (int)status, category ? category : "-");
    vprintf(message, args);
    printf("\n");
    va_end(args);
    fflush(stdout);
}

#define LOAD(f) f##TYPE *f = (f##TYPE *)dlsym(lib, #f); if (!f) { printf("NOSYMBOL %s\n", #f); return 3; }

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: %s BINARY GUID RESOURCE_URI STEP NSTEPS [SET...] [-- GET...]\n", argv[0]);
        return 2;
    }
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) { printf("DLOPEN %s\n", dlerror()); return 4; }
    LOAD(fmi2Instantiate) LOAD(fmi2SetupExperiment) LOAD(fmi2EnterInitializationMode)
    LOAD(fmi2ExitInitializationMode) LOAD(fmi2DoStep) LOAD(fmi2GetReal) LOAD(fmi2SetReal)
    LOAD(fmi2SetInteger) LOAD(fmi2SetBoolean) LOAD(fmi2SetString) LOAD(fmi2Terminate) LOAD(fmi2FreeInstance)

    double h = atof(argv[4]), t = 0.0;
    int steps = atoi(argv[5]), i = 6;
    fmi2CallbackFunctions cb = {logger, calloc, free, NULL, NULL};
    fmi2Component c = fmi2Instantiate("native", fmi2CoSimulation, argv[2], argv[3], &cb, fmi2False, fmi2False);
    if (!c) { printf("INSTANTIATE failed\n"); return 5; }
    if (fmi2SetupExperiment(c, fmi2False, 0.0, 0.0, fmi2False, 0.0) > fmi2Warning) return 6;
    if (fmi2EnterInitializationMode(c) > fmi2Warning) return 7;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        char kind = argv[i][0], *eq = strchr(argv[i], '=');
        if (!eq) { fprintf(stderr, "bad SET '%s'\n", argv[i]); return 2; }
        fmi2ValueReference vr = (fmi2ValueReference)strtoul(argv[i] + 1, NULL, 10);
        fmi2Status s = fmi2Error;
        if (kind == 'r') { fmi2Real v = strtod(eq + 1, NULL); s = fmi2SetReal(c, &vr, 1, &v); }
        else if (kind == 'i') { fmi2Integer v = atoi(eq + 1); s = fmi2SetInteger(c, &vr, 1, &v); }
        else if (kind == 'b') { fmi2Boolean v = atoi(eq + 1) != 0; s = fmi2SetBoolean(c, &vr, 1, &v); }
        else if (kind == 's') { fmi2String v = eq + 1; s = fmi2SetString(c, &vr, 1, &v); }
        if (s > fmi2Warning) { printf("SET %s failed\n", argv[i]); return 7; }
    }
    if (fmi2ExitInitializationMode(c) > fmi2Warning) return 8;
    fmi2ValueReference get[MAXV];
    fmi2Real values[MAXV];
    size_t n = 0;
    for (i++; i < argc && n < MAXV; i++) get[n++] = (fmi2ValueReference)strtoul(argv[i], NULL, 10);
    for (int k = 0; k <= steps; k++) {
        if (k > 0) {
            if (fmi2DoStep(c, t, h, fmi2True) > fmi2Warning) { printf("DOSTEP failed at t=%.17g\n", t); return 9; }
            t = k * h;
        }
        if (n && fmi2GetReal(c, get, n, values) > fmi2Warning) { printf("GETREAL failed\n"); return 9; }
        printf("OUT %.17g", t);
        for (size_t j = 0; j < n; j++) printf(" %.17g", values[j]);
        printf("\n");
    }
    fmi2Terminate(c);
    fmi2FreeInstance(c);
    return 0;
}
