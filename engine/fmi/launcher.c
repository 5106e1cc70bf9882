/* The native launcher of a cryocosim FMU (FMI 2.0 co-simulation, Linux).
 *
 * An exported FMU's model is Python code run by pythonfmu's binary, which calls into a CPython
 * interpreter but does not link one: it only loads in a process that already has libpython's
 * symbols (a Python-hosted master: fmpy, libcosimpy, the cryocosim engine).  This launcher is the
 * FMU's binaries/linux64/<Model>.so; pythonfmu's binary sits beside it as <Model>.pythonfmu.so.
 * At the first fmi2Instantiate it
 *
 *   1. looks for a Python in the process (Py_IsInitialized among the global symbols).  Found and
 *      initialised: nothing to do, the model runs in that interpreter (as without the launcher);
 *   2. otherwise finds a Python runtime: the interpreter named by the environment variable
 *      CRYOCOSIM_PYTHON (a python executable, or a file like resources/python.cfg), else
 *      resources/python.cfg, written at export and recording the exporting interpreter: its
 *      shared library, home (sys.base_prefix) and site-packages folders;
 *   3. loads that libpython with RTLD_GLOBAL (so that pythonfmu's binary and the interpreter's own
 *      extension modules resolve its symbols), checks its version, initialises it with that home,
 *      without signal handlers and without reading PYTHON* variables, adds the site folders
 *      (site.addsitedir: .pth files are honoured) and runs resources/python_check.py, which
 *      checks the FMU's requirements (resources/requirements.txt); then releases the GIL;
 *   4. loads pythonfmu's binary and forwards every FMI call to it, unchanged.
 *
 * One repair on the way: pythonfmu 0.7's binary keeps a global std::shared_ptr to an object that
 * would start Python if no one had (never the case behind this launcher), and resets it from a
 * library destructor that runs at process exit *after* the shared_ptr's own static destructor:
 * a use after free that corrupts the heap, so that a program using the FMU can abort as it exits
 * ("free(): corrupted unsorted chunks", "corrupted double-linked list", in libgfortran's or
 * another library's exit code).  The launcher releases that object right after each
 * fmi2Instantiate (pythonfmu's exported finalizePythonInterpreter(), which only resets the
 * pointer), so nothing is left for the destructors to free twice.
 *
 * Any failure makes fmi2Instantiate return NULL after one message (status fmi2Fatal) through the
 * master's logger naming what is missing and how to point the FMU at a Python.  Nothing here
 * needs Python's headers: the few Python C-API functions used are looked up with dlsym, so one
 * launcher serves every CPython 3 version.  Build:
 *     gcc -shared -fPIC -O2 -fvisibility=hidden -I<fmpy>/c-code -o launcher.so launcher.c -ldl -lpthread
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wchar.h>

#include "fmi2Functions.h"

#define ENV_PYTHON "CRYOCOSIM_PYTHON"
#define INNER_SUFFIX ".pythonfmu.so"
#define MSG 4096
#define MAX_SITES 16

/* -- the forwarded FMI 2.0 co-simulation interface ------------------------------------------ */
#define FMI2_FUNCTIONS(X) \
    X(fmi2SetDebugLogging) X(fmi2Instantiate) X(fmi2FreeInstance) X(fmi2SetupExperiment) \
    X(fmi2EnterInitializationMode) X(fmi2ExitInitializationMode) X(fmi2Terminate) X(fmi2Reset) \
    X(fmi2GetReal) X(fmi2GetInteger) X(fmi2GetBoolean) X(fmi2GetString) \
    X(fmi2SetReal) X(fmi2SetInteger) X(fmi2SetBoolean) X(fmi2SetString) \
    X(fmi2GetFMUstate) X(fmi2SetFMUstate) X(fmi2FreeFMUstate) X(fmi2SerializedFMUstateSize) \
    X(fmi2SerializeFMUstate) X(fmi2DeSerializeFMUstate) X(fmi2GetDirectionalDerivative) \
    X(fmi2SetRealInputDerivatives) X(fmi2GetRealOutputDerivatives) X(fmi2DoStep) X(fmi2CancelStep) \
    X(fmi2GetStatus) X(fmi2GetRealStatus) X(fmi2GetIntegerStatus) X(fmi2GetBooleanStatus) \
    X(fmi2GetStringStatus)

static struct {
#define MEMBER(f) f##TYPE *f;
    FMI2_FUNCTIONS(MEMBER)
#undef MEMBER
} inner;

/* pythonfmu's finalizePythonInterpreter(): resets its global PyState pointer (see above) */
static void (*inner_release_pystate)(void);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int inner_loaded = 0;  /* pythonfmu's binary is loaded and `inner` filled */
static int python_ready = 0;  /* a Python interpreter is initialised in this process */

/* -- small helpers ----------------------------------------------------------------------------- */
static void say(char *msg, const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vsnprintf(msg, MSG, fmt, args);
    va_end(args);
}

static void report(const fmi2CallbackFunctions *f, fmi2String instance, const char *msg) {
    if (f && f->logger) {
        char escaped[2 * MSG];  /* the logger's message is a printf format: '%' doubled */
        size_t j = 0;
        for (size_t i = 0; msg[i] && j + 2 < sizeof escaped; i++) {
            if (msg[i] == '%') escaped[j++] = '%';
            escaped[j++] = msg[i];
        }
        escaped[j] = '\0';
        f->logger(f->componentEnvironment, instance ? instance : "", fmi2Fatal, "logStatusFatal", escaped);
    } else {
        fprintf(stderr, "%s\n", msg);
    }
}

static int is_file(const char *path) {
    struct stat st;
    return path && *path && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r')) s[--n] = '\0';
    return s;
}

/* -- where the FMU is ------------------------------------------------------------------------- */
typedef struct {
    char model[256];          /* the model identifier: this library's name without .so */
    char binary[PATH_MAX];    /* this library */
    char inner[PATH_MAX];     /* pythonfmu's binary beside it */
    char resources[PATH_MAX]; /* the FMU's resources/ folder */
} Location;

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* file:///a/b%20c or file:/a/b -> /a/b c; 0 if not a local file URI */
static int uri_to_path(const char *uri, char *path, size_t size) {
    if (!uri || strncmp(uri, "file:", 5) != 0) return 0;
    const char *p = uri + 5;
    if (strncmp(p, "//", 2) == 0) {
        p += 2;
        if (strncmp(p, "localhost", 9) == 0) p += 9;
        if (*p != '/') return 0;  /* file://host/... */
    }
    size_t j = 0;
    for (; *p && j + 1 < size; p++) {
        if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
            path[j++] = (char)(hexval(p[1]) * 16 + hexval(p[2]));
            p += 2;
        } else {
            path[j++] = *p;
        }
    }
    path[j] = '\0';
    while (j > 1 && path[j - 1] == '/') path[--j] = '\0';
    return 1;
}

static int locate(const char *resource_uri, Location *loc, char *msg) {
    Dl_info info;
    if (!dladdr((void *)&fmi2GetVersion, &info) || !info.dli_fname) {
        say(msg, "cryocosim FMU launcher: cannot tell which file it was loaded from");
        return 0;
    }
    if (!realpath(info.dli_fname, loc->binary)) snprintf(loc->binary, sizeof loc->binary, "%s", info.dli_fname);
    const char *base = strrchr(loc->binary, '/');
    base = base ? base + 1 : loc->binary;
    snprintf(loc->model, sizeof loc->model, "%s", base);
    char *dot = strstr(loc->model, ".so");
    if (dot) *dot = '\0';
    size_t dir = (size_t)(base - loc->binary);
    snprintf(loc->inner, sizeof loc->inner, "%.*s%s%s", (int)dir, loc->binary, loc->model, INNER_SUFFIX);
    if (!uri_to_path(resource_uri, loc->resources, sizeof loc->resources)) {
        /* no usable fmuResourceLocation: <fmu>/binaries/linux64/X.so -> <fmu>/resources */
        snprintf(loc->resources, sizeof loc->resources, "%.*s../../resources", (int)dir, loc->binary);
    }
    return 1;
}

/* -- the Python runtime to load ---------------------------------------------------------------- */
typedef struct {
    char source[PATH_MAX + 64]; /* where these facts come from, for messages */
    char executable[PATH_MAX];
    char library[PATH_MAX];
    char home[PATH_MAX];
    char version[32];           /* major.minor of the recorded interpreter (information) */
    int requires_minor;         /* the FMU needs Python 3.<requires_minor> or newer */
    char site[MAX_SITES][PATH_MAX];
    int nsite;
} Runtime;

/* key = value lines; '#' starts a comment.  Unknown keys are ignored. */
static void parse_runtime(FILE *in, Runtime *rt, int location_only) {
    char line[PATH_MAX + 64];
    while (fgets(line, sizeof line, in)) {
        char *s = trim(line);
        if (*s == '#' || !*s) continue;
        char *eq = strchr(s, '=');
        if (!eq) continue;
        *eq = '\0';
        char *key = trim(s), *value = trim(eq + 1);
        if (!strcmp(key, "executable")) snprintf(rt->executable, sizeof rt->executable, "%s", value);
        else if (!strcmp(key, "library")) snprintf(rt->library, sizeof rt->library, "%s", value);
        else if (!strcmp(key, "home")) snprintf(rt->home, sizeof rt->home, "%s", value);
        else if (!strcmp(key, "version")) snprintf(rt->version, sizeof rt->version, "%s", value);
        else if (!strcmp(key, "site") && rt->nsite < MAX_SITES) snprintf(rt->site[rt->nsite++], PATH_MAX, "%s", value);
        else if (!strcmp(key, "requires_python") && !location_only) {
            int major = 0, minor = 0;
            if (sscanf(value, "%d.%d", &major, &minor) == 2 && major == 3) rt->requires_minor = minor;
        }
    }
}

static void clear_location(Runtime *rt) {
    rt->executable[0] = rt->library[0] = rt->home[0] = rt->version[0] = '\0';
    rt->nsite = 0;
}

/* Ask an interpreter where it keeps its library, home and site folders: run
 * `python -E -s resources/python_check.py --describe` (the lines of a python.cfg) */
static int query_interpreter(const char *python, const Location *loc, Runtime *rt, char *msg) {
    char script[PATH_MAX + 32];
    snprintf(script, sizeof script, "%s/python_check.py", loc->resources);
    int fds[2];
    if (pipe(fds) != 0) {
        say(msg, "cannot run '%s': %s", python, strerror(errno));
        return 0;
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        say(msg, "cannot run '%s': %s", python, strerror(errno));
        return 0;
    }
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        char *argv[] = {(char *)python, "-E", "-s", script, "--describe", NULL};
        execv(python, argv);
        _exit(127);
    }
    close(fds[1]);
    FILE *out = fdopen(fds[0], "r");
    clear_location(rt);
    if (out) {
        parse_runtime(out, rt, 1);
        fclose(out);
    } else {
        close(fds[0]);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !rt->library[0]) {
        say(msg, "the Python '%s' (from %s) did not run or did not describe itself (exit status %d)",
            python, rt->source, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return 0;
    }
    snprintf(rt->executable, sizeof rt->executable, "%s", python);
    return 1;
}

static int find_runtime(const Location *loc, Runtime *rt, char *msg) {
    char cfg[PATH_MAX + 16];
    snprintf(cfg, sizeof cfg, "%s/python.cfg", loc->resources);
    memset(rt, 0, sizeof *rt);
    rt->requires_minor = -1;
    FILE *in = fopen(cfg, "r");
    if (in) {  /* the FMU's own record: its requirement, and the exporting interpreter */
        parse_runtime(in, rt, 0);
        fclose(in);
        snprintf(rt->source, sizeof rt->source, "%s", cfg);
    }
    const char *chosen = getenv(ENV_PYTHON);
    if (chosen && *chosen) {
        snprintf(rt->source, sizeof rt->source, "the environment variable " ENV_PYTHON);
        struct stat st;
        if (stat(chosen, &st) != 0) {
            say(msg, ENV_PYTHON " names '%s', which does not exist", chosen);
            return 0;
        }
        size_t n = strlen(chosen);
        if (n > 4 && !strcmp(chosen + n - 4, ".cfg")) {  /* a python.cfg written for this machine */
            FILE *f = fopen(chosen, "r");
            if (!f) {
                say(msg, ENV_PYTHON " names '%s', which cannot be read: %s", chosen, strerror(errno));
                return 0;
            }
            clear_location(rt);
            parse_runtime(f, rt, 1);
            fclose(f);
            snprintf(rt->source, sizeof rt->source, "%s (" ENV_PYTHON ")", chosen);
        } else {
            return query_interpreter(chosen, loc, rt, msg);
        }
    } else if (!in) {
        say(msg, "it has no resources/python.cfg (looked for %s) and " ENV_PYTHON " is not set", cfg);
        return 0;
    }
    if (!rt->library[0] && rt->executable[0]) return query_interpreter(rt->executable, loc, rt, msg);
    if (!rt->library[0]) {
        say(msg, "%s names no Python library ('library = ...')", rt->source);
        return 0;
    }
    return 1;
}

/* -- the Python C API, looked up at run time ---------------------------------------------------- */
typedef struct {
    int (*IsInitialized)(void);
    const char *(*GetVersion)(void);
    void (*SetPythonHome)(const wchar_t *);
    wchar_t *(*DecodeLocale)(const char *, size_t *);
    void (*InitializeEx)(int);
    int (*RunSimpleString)(const char *);
    void *(*AddModule)(const char *);
    void *(*ModuleGetDict)(void *);
    void *(*DictGetItemString)(void *, const char *);
    int (*DictSetItemString)(void *, const char *, void *);
    void *(*DecodeFSDefault)(const char *);
    const char *(*AsUTF8)(void *);
    void *(*ListNew)(long);
    int (*ListAppend)(void *, void *);
    void (*DecRef)(void *);
    void *(*SaveThread)(void);
    int *NoSiteFlag;
    int *IgnoreEnvironmentFlag;
} PyApi;

/* 0: not a Python library; 1: a Python whose version can be asked; 2: the whole API found */
static int find_api(void *handle, PyApi *py) {
#define SYM(field, name) py->field = dlsym(handle, name)
    SYM(IsInitialized, "Py_IsInitialized");
    SYM(GetVersion, "Py_GetVersion");
    SYM(SetPythonHome, "Py_SetPythonHome");
    SYM(DecodeLocale, "Py_DecodeLocale");
    SYM(InitializeEx, "Py_InitializeEx");
    SYM(RunSimpleString, "PyRun_SimpleString");
    SYM(AddModule, "PyImport_AddModule");
    SYM(ModuleGetDict, "PyModule_GetDict");
    SYM(DictGetItemString, "PyDict_GetItemString");
    SYM(DictSetItemString, "PyDict_SetItemString");
    SYM(DecodeFSDefault, "PyUnicode_DecodeFSDefault");
    SYM(AsUTF8, "PyUnicode_AsUTF8");
    SYM(ListNew, "PyList_New");
    SYM(ListAppend, "PyList_Append");
    SYM(DecRef, "Py_DecRef");
    SYM(SaveThread, "PyEval_SaveThread");
    SYM(NoSiteFlag, "Py_NoSiteFlag");
    SYM(IgnoreEnvironmentFlag, "Py_IgnoreEnvironmentFlag");
#undef SYM
    if (!py->IsInitialized || !py->GetVersion) return 0;
    return py->DecodeLocale && py->InitializeEx && py->RunSimpleString && py->AddModule && py->ModuleGetDict
        && py->DictGetItemString && py->DictSetItemString && py->DecodeFSDefault && py->AsUTF8 && py->ListNew
        && py->ListAppend && py->DecRef && py->SaveThread ? 2 : 1;
}

/* Runs in the new interpreter: the site folders, then the FMU's own check of its requirements.
 * Leaves a message in __main__._cryocosim_problem, or None. */
static const char BOOTSTRAP[] =
    "def _cryocosim_boot():\n"
    "    import sys\n"
    "    try:\n"
    "        import runpy, site\n"
    "        for d in _cryocosim_site:\n"
    "            site.addsitedir(d)\n"
    "        if not getattr(sys, 'argv', None):\n"
    "            sys.argv = ['']\n"
    "        if _cryocosim_executable:\n"
    "            sys.executable = _cryocosim_executable\n"
    "        check = runpy.run_path(_cryocosim_resources + '/python_check.py', run_name='cryocosim_python_check')\n"
    "        return check['problem'](_cryocosim_resources)\n"
    "    except BaseException as exc:\n"
    "        return 'its Python check failed: %s: %s' % (type(exc).__name__, exc)\n"
    "_cryocosim_problem = _cryocosim_boot()\n"
    "del _cryocosim_boot\n";

static int set_main(const PyApi *py, void *main_dict, const char *name, void *value) {
    if (!value) return 0;
    int ok = py->DictSetItemString(main_dict, name, value) == 0;
    py->DecRef(value);
    return ok;
}

static int start_python(const Location *loc, const Runtime *rt, PyApi *py, char *msg) {
    if (!py->SetPythonHome && rt->home[0]) setenv("PYTHONHOME", rt->home, 1);  /* a future Python */
    if (py->SetPythonHome && rt->home[0]) {
        wchar_t *home = py->DecodeLocale(rt->home, NULL);  /* kept: Python keeps the pointer */
        if (!home) {
            say(msg, "cannot decode the Python home '%s'", rt->home);
            return 0;
        }
        py->SetPythonHome(home);
        if (py->IgnoreEnvironmentFlag) *py->IgnoreEnvironmentFlag = 1;  /* the host's PYTHON* variables */
    }
    if (py->NoSiteFlag) *py->NoSiteFlag = 1;  /* the recorded site folders only, added below */
    py->InitializeEx(0);                      /* 0: the host keeps its signal handlers */
    if (!py->IsInitialized()) {
        say(msg, "the Python library '%s' did not initialise (home '%s')", rt->library, rt->home);
        return 0;
    }
    void *main_dict = py->ModuleGetDict(py->AddModule("__main__"));
    void *sites = py->ListNew(0);
    for (int i = 0; sites && i < rt->nsite; i++) {
        void *s = py->DecodeFSDefault(rt->site[i]);
        if (s) {
            py->ListAppend(sites, s);
            py->DecRef(s);
        }
    }
    int ok = set_main(py, main_dict, "_cryocosim_site", sites)
        && set_main(py, main_dict, "_cryocosim_resources", py->DecodeFSDefault(loc->resources))
        && set_main(py, main_dict, "_cryocosim_executable", py->DecodeFSDefault(rt->executable));
    if (!ok || py->RunSimpleString(BOOTSTRAP) != 0) {
        say(msg, "its start-up code failed in the Python of %s", rt->library);
        py->SaveThread();
        return 0;
    }
    void *problem = py->DictGetItemString(main_dict, "_cryocosim_problem");
    const char *text = problem ? py->AsUTF8(problem) : NULL;  /* NULL for None */
    if (text) say(msg, "%s", text);
    py->SaveThread();  /* release the GIL: pythonfmu takes it per call (PyGILState_Ensure) */
    return text == NULL;
}

static int check_version(const PyApi *py, const Runtime *rt, char *msg) {
    int major = 0, minor = 0;
    const char *v = py->GetVersion();
    if (sscanf(v, "%d.%d", &major, &minor) != 2 || major != 3 || (rt->requires_minor >= 0 && minor < rt->requires_minor)) {
        char need[32] = "3";
        if (rt->requires_minor >= 0) snprintf(need, sizeof need, "3.%d", rt->requires_minor);
        say(msg, "the Python library '%s' (from %s) is Python %.*s; the FMU needs CPython %s or newer",
            rt->library, rt->source, (int)strcspn(v, " "), v, need);
        return 0;
    }
    return 1;
}

static int ensure_python(const Location *loc, char *msg) {
    PyApi py;
    memset(&py, 0, sizeof py);
    int api = find_api(RTLD_DEFAULT, &py);
    if (api && py.IsInitialized()) return 1;  /* a Python process */
    Runtime rt;
    if (!find_runtime(loc, &rt, msg)) return 0;
    if (!api) {
        if (!is_file(rt.library)) {
            say(msg, "its Python library '%s' (from %s) does not exist", rt.library, rt.source);
            return 0;
        }
        void *lib = dlopen(rt.library, RTLD_NOW | RTLD_GLOBAL);
        if (!lib) {
            say(msg, "cannot load the Python library '%s' (from %s): %s", rt.library, rt.source, dlerror());
            return 0;
        }
        memset(&py, 0, sizeof py);
        api = find_api(lib, &py);
        if (!api) {
            say(msg, "'%s' (from %s) is not a Python library", rt.library, rt.source);
            return 0;
        }
    }
    if (!check_version(&py, &rt, msg)) return 0;
    if (api < 2) {
        say(msg, "'%s' (from %s) lacks functions of CPython 3's C API", rt.library, rt.source);
        return 0;
    }
    if (py.IsInitialized()) return 1;
    return start_python(loc, &rt, &py, msg);
}

static int load_inner(const Location *loc, char *msg) {
    void *handle = dlopen(loc->inner, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        say(msg, "cannot load the model's binary '%s': %s", loc->inner, dlerror());
        return 0;
    }
#define LOOKUP(f) inner.f = (f##TYPE *)dlsym(handle, #f);
    FMI2_FUNCTIONS(LOOKUP)
#undef LOOKUP
    inner_release_pystate = (void (*)(void))dlsym(handle, "finalizePythonInterpreter");
    if (!inner.fmi2Instantiate || !inner.fmi2FreeInstance || !inner.fmi2DoStep) {
        say(msg, "'%s' is not an FMI 2.0 co-simulation binary", loc->inner);
        return 0;
    }
    return 1;
}

/* -- the FMI interface ------------------------------------------------------------------------- */
FMI2_Export const char *fmi2GetTypesPlatform(void) { return fmi2TypesPlatform; }
FMI2_Export const char *fmi2GetVersion(void) { return fmi2Version; }

FMI2_Export fmi2Component fmi2Instantiate(fmi2String instanceName, fmi2Type fmuType, fmi2String fmuGUID,
                                          fmi2String fmuResourceLocation, const fmi2CallbackFunctions *functions,
                                          fmi2Boolean visible, fmi2Boolean loggingOn) {
    char msg[MSG] = "";
    Location loc;
    memset(&loc, 0, sizeof loc);
    pthread_mutex_lock(&lock);
    int ok = inner_loaded;
    if (!ok && locate(fmuResourceLocation, &loc, msg)) {
        if (!python_ready) python_ready = ensure_python(&loc, msg);
        ok = inner_loaded = python_ready && load_inner(&loc, msg);
    }
    if (!ok) {
        pthread_mutex_unlock(&lock);
        char full[MSG];
        snprintf(full, sizeof full,
                 "FMU '%s' cannot run: %s. It runs its model in Python: set " ENV_PYTHON "=/path/to/bin/python "
                 "(a CPython that has the packages of resources/requirements.txt), or write that "
                 "interpreter's facts into resources/python.cfg (python resources/python_check.py --describe "
                 "prints them)", loc.model[0] ? loc.model : "?", msg);
        report(functions, instanceName, full);
        return NULL;
    }
    fmi2Component c = inner.fmi2Instantiate(instanceName, fmuType, fmuGUID, fmuResourceLocation, functions,
                                            visible, loggingOn);
    /* the Python runs already (the host's, or started above): pythonfmu's start-up object is idle */
    if (inner_release_pystate) inner_release_pystate();
    pthread_mutex_unlock(&lock);
    return c;
}

FMI2_Export void fmi2FreeInstance(fmi2Component c) {
    if (inner_loaded && c) inner.fmi2FreeInstance(c);
}

/* every other call goes to pythonfmu's binary as it is; before a successful fmi2Instantiate
 * there is no instance to call it on */
#define FORWARD(f, params, args) \
    FMI2_Export fmi2Status f params { return inner_loaded && inner.f ? inner.f args : fmi2Error; }

FORWARD(fmi2SetDebugLogging, (fmi2Component c, fmi2Boolean on, size_t n, const fmi2String cats[]), (c, on, n, cats))
FORWARD(fmi2SetupExperiment, (fmi2Component c, fmi2Boolean tol_defined, fmi2Real tol, fmi2Real start,
                              fmi2Boolean stop_defined, fmi2Real stop), (c, tol_defined, tol, start, stop_defined, stop))
FORWARD(fmi2EnterInitializationMode, (fmi2Component c), (c))
FORWARD(fmi2ExitInitializationMode, (fmi2Component c), (c))
FORWARD(fmi2Terminate, (fmi2Component c), (c))
FORWARD(fmi2Reset, (fmi2Component c), (c))
FORWARD(fmi2GetReal, (fmi2Component c, const fmi2ValueReference vr[], size_t n, fmi2Real v[]), (c, vr, n, v))
FORWARD(fmi2GetInteger, (fmi2Component c, const fmi2ValueReference vr[], size_t n, fmi2Integer v[]), (c, vr, n, v))
FORWARD(fmi2GetBoolean, (fmi2Component c, const fmi2ValueReference vr[], size_t n, fmi2Boolean v[]), (c, vr, n, v))
FORWARD(fmi2GetString, (fmi2Component c, const fmi2ValueReference vr[], size_t n, fmi2String v[]), (c, vr, n, v))
FORWARD(fmi2SetReal, (fmi2Component c, const fmi2ValueReference vr[], size_t n, const fmi2Real v[]), (c, vr, n, v))
FORWARD(fmi2SetInteger, (fmi2Component c, const fmi2ValueReference vr[], size_t n, const fmi2Integer v[]), (c, vr, n, v))
FORWARD(fmi2SetBoolean, (fmi2Component c, const fmi2ValueReference vr[], size_t n, const fmi2Boolean v[]), (c, vr, n, v))
FORWARD(fmi2SetString, (fmi2Component c, const fmi2ValueReference vr[], size_t n, const fmi2String v[]), (c, vr, n, v))
FORWARD(fmi2GetFMUstate, (fmi2Component c, fmi2FMUstate *s), (c, s))
FORWARD(fmi2SetFMUstate, (fmi2Component c, fmi2FMUstate s), (c, s))
FORWARD(fmi2FreeFMUstate, (fmi2Component c, fmi2FMUstate *s), (c, s))
FORWARD(fmi2SerializedFMUstateSize, (fmi2Component c, fmi2FMUstate s, size_t *size), (c, s, size))
FORWARD(fmi2SerializeFMUstate, (fmi2Component c, fmi2FMUstate s, fmi2Byte b[], size_t size), (c, s, b, size))
FORWARD(fmi2DeSerializeFMUstate, (fmi2Component c, const fmi2Byte b[], size_t size, fmi2FMUstate *s), (c, b, size, s))
FORWARD(fmi2GetDirectionalDerivative, (fmi2Component c, const fmi2ValueReference u[], size_t nu,
                                       const fmi2ValueReference z[], size_t nz, const fmi2Real du[], fmi2Real dz[]),
        (c, u, nu, z, nz, du, dz))
/* canInterpolateInputs: the derivative of order k (1, 2) of the Real input vr is the slave's hidden
 * variable vr + (k << INPUT_DERIVATIVE_SHIFT) (engine/fmi/slave.py; pythonfmu itself has no
 * fmi2SetRealInputDerivatives): set there with fmi2SetReal.  Other orders are an error. */
#define INPUT_DERIVATIVE_SHIFT 24
#define MAX_DERIVATIVES 1024
FMI2_Export fmi2Status fmi2SetRealInputDerivatives(fmi2Component c, const fmi2ValueReference vr[], size_t n,
                                                   const fmi2Integer order[], const fmi2Real v[]) {
    fmi2ValueReference hidden[MAX_DERIVATIVES];
    if (!inner_loaded || !inner.fmi2SetReal || n > MAX_DERIVATIVES) return fmi2Error;
    for (size_t i = 0; i < n; i++) {
        if (order[i] < 1 || order[i] > 2 || vr[i] >= (1u << INPUT_DERIVATIVE_SHIFT)) return fmi2Error;
        hidden[i] = vr[i] + ((fmi2ValueReference)order[i] << INPUT_DERIVATIVE_SHIFT);
    }
    return inner.fmi2SetReal(c, hidden, n, v);
}
FORWARD(fmi2GetRealOutputDerivatives, (fmi2Component c, const fmi2ValueReference vr[], size_t n,
                                       const fmi2Integer order[], fmi2Real v[]), (c, vr, n, order, v))
FORWARD(fmi2DoStep, (fmi2Component c, fmi2Real t, fmi2Real h, fmi2Boolean no_prior), (c, t, h, no_prior))
FORWARD(fmi2CancelStep, (fmi2Component c), (c))
FORWARD(fmi2GetStatus, (fmi2Component c, const fmi2StatusKind k, fmi2Status *v), (c, k, v))
FORWARD(fmi2GetRealStatus, (fmi2Component c, const fmi2StatusKind k, fmi2Real *v), (c, k, v))
FORWARD(fmi2GetIntegerStatus, (fmi2Component c, const fmi2StatusKind k, fmi2Integer *v), (c, k, v))
FORWARD(fmi2GetBooleanStatus, (fmi2Component c, const fmi2StatusKind k, fmi2Boolean *v), (c, k, v))
FORWARD(fmi2GetStringStatus, (fmi2Component c, const fmi2StatusKind k, fmi2String *v), (c, k, v))
