/*
 * libcufile_double.so: a TEST DOUBLE of the subset of NVIDIA's libcufile ABI that kvbm4j binds.
 * It is not GPUDirect Storage: every "device" pointer is treated as host memory and the I/O is plain
 * pread/pwrite on the registered file descriptor. Built by the gds module's test build (gcc) so the
 * binding's I/O paths run in CI without a GPU.
 *
 * Built twice from this file:
 *   libcufile_double.so       behaves like a healthy driver in compatibility mode;
 *   libcufile_hang_double.so  (-DCUFILE_DOUBLE_HANG) whose cuFileDriverOpen never returns, as the
 *                             cuda-redist 1.18 build does on a machine without a GPU.
 *
 * Types and numbers follow cufile.h (CUDA 12.x): CUfileError_t is {CUfileOpError err; CUresult cu_err},
 * cuFileRead/cuFileWrite return bytes, -1 with errno set, or -CUfileOpError.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

typedef struct CUfileError { int err; int cu_err; } CUfileError_t;

enum {
    CU_FILE_SUCCESS = 0,
    CU_FILE_DRIVER_NOT_INITIALIZED = 5001,
    CU_FILE_INVALID_VALUE = 5022,
    CU_FILE_MEMORY_ALREADY_REGISTERED = 5023,
    CU_FILE_MEMORY_NOT_REGISTERED = 5024,
    CU_FILE_HANDLE_NOT_REGISTERED = 5027,
    CU_FILE_INVALID_FILE_TYPE = 5018,
};

enum { CU_FILE_HANDLE_TYPE_OPAQUE_FD = 1 };

typedef struct CUfileDescr {
    int type;
    union { int fd; void *handle; } handle;
    const void *fs_ops;
} CUfileDescr_t;

typedef struct CUfileDrvProps {
    struct {
        unsigned int major_version;
        unsigned int minor_version;
        size_t poll_thresh_size;
        size_t max_direct_io_size;
        unsigned int dstatusflags;
        unsigned int dcontrolflags;
    } nvfs;
    unsigned int fflags;
    unsigned int max_device_cache_size;
    unsigned int per_buffer_cache_size;
    unsigned int max_device_pinned_mem_size;
    unsigned int max_batch_io_size;
    unsigned int max_batch_io_timeout_msecs;
} CUfileDrvProps_t;

typedef struct DoubleHandle { int fd; } DoubleHandle;

static volatile int driver_open;
#define MAX_BUFS 64
static const void *registered[MAX_BUFS];

/* Fault injection for tests: the next I/O call fails once in the chosen way. */
static volatile int fault_kind;   /* 0 none, 1 errno (-1 + errno), 2 -CUfileOpError, 3 short transfer */
static volatile int fault_value;

static CUfileError_t status(int err) { CUfileError_t e = { err, 0 }; return e; }

/* Marks this library as the double; the binding reports "cuFile double" when it finds this symbol. */
const char *kvbm4jCuFileDouble(void) { return "libcufile_double (pread/pwrite, not GPUDirect Storage)"; }

void kvbm4jCuFileDoubleInjectFault(int kind, int value) { fault_value = value; fault_kind = kind; }

CUfileError_t cuFileDriverOpen(void)
{
#ifdef CUFILE_DOUBLE_HANG
    for (;;) { pause(); }
#endif
    driver_open = 1;
    return status(CU_FILE_SUCCESS);
}

CUfileError_t cuFileDriverClose(void) { driver_open = 0; return status(CU_FILE_SUCCESS); }
CUfileError_t cuFileDriverClose_v2(void) { return cuFileDriverClose(); }

CUfileError_t cuFileGetVersion(int *version)
{
    if (version == NULL) { return status(CU_FILE_INVALID_VALUE); }
    *version = 1180;
    return status(CU_FILE_SUCCESS);
}

CUfileError_t cuFileDriverGetProperties(CUfileDrvProps_t *props)
{
    if (!driver_open) { return status(CU_FILE_DRIVER_NOT_INITIALIZED); }
    if (props == NULL) { return status(CU_FILE_INVALID_VALUE); }
    memset(props, 0, sizeof(*props));
    props->nvfs.major_version = 0;              /* no nvidia-fs kernel module */
    props->nvfs.max_direct_io_size = 16384;     /* KiB, as the real driver reports it */
    props->nvfs.dcontrolflags = 1u << 1;        /* CU_FILE_ALLOW_COMPAT_MODE */
    props->max_batch_io_size = 128;
    return status(CU_FILE_SUCCESS);
}

CUfileError_t cuFileHandleRegister(void **fh, CUfileDescr_t *descr)
{
    if (!driver_open) { return status(CU_FILE_DRIVER_NOT_INITIALIZED); }
    if (fh == NULL || descr == NULL) { return status(CU_FILE_INVALID_VALUE); }
    if (descr->type != CU_FILE_HANDLE_TYPE_OPAQUE_FD) { return status(CU_FILE_INVALID_FILE_TYPE); }
    if (fcntl(descr->handle.fd, F_GETFL) < 0) { return status(CU_FILE_INVALID_VALUE); }
    DoubleHandle *h = malloc(sizeof(DoubleHandle));
    if (h == NULL) { return status(CU_FILE_INVALID_VALUE); }
    h->fd = descr->handle.fd;
    *fh = h;
    return status(CU_FILE_SUCCESS);
}

void cuFileHandleDeregister(void *fh) { free(fh); }

CUfileError_t cuFileBufRegister(const void *base, size_t length, int flags)
{
    (void)length; (void)flags;
    if (!driver_open) { return status(CU_FILE_DRIVER_NOT_INITIALIZED); }
    if (base == NULL) { return status(CU_FILE_INVALID_VALUE); }
    int free_index = -1;
    for (int i = 0; i < MAX_BUFS; i++) {
        if (registered[i] == base) { return status(CU_FILE_MEMORY_ALREADY_REGISTERED); }
        if (registered[i] == NULL && free_index < 0) { free_index = i; }
    }
    if (free_index < 0) { return status(CU_FILE_INVALID_VALUE); }
    registered[free_index] = base;
    return status(CU_FILE_SUCCESS);
}

CUfileError_t cuFileBufDeregister(const void *base)
{
    for (int i = 0; i < MAX_BUFS; i++) {
        if (registered[i] == base) { registered[i] = NULL; return status(CU_FILE_SUCCESS); }
    }
    return status(CU_FILE_MEMORY_NOT_REGISTERED);
}

static ssize_t fault(size_t size, int *is_fault)
{
    int kind = fault_kind;
    *is_fault = 0;
    if (kind == 0) { return 0; }
    fault_kind = 0;
    *is_fault = 1;
    if (kind == 1) { errno = fault_value; return -1; }
    if (kind == 2) { return -(ssize_t)fault_value; }
    return (ssize_t)(size / 2);
}

static ssize_t transfer(void *fh, char *buf, size_t size, off_t file_offset, off_t buf_offset, int write)
{
    if (!driver_open) { return -(ssize_t)CU_FILE_DRIVER_NOT_INITIALIZED; }
    if (fh == NULL) { return -(ssize_t)CU_FILE_HANDLE_NOT_REGISTERED; }
    if (buf == NULL) { return -(ssize_t)CU_FILE_INVALID_VALUE; }
    int is_fault;
    ssize_t injected = fault(size, &is_fault);
    if (is_fault) { return injected; }
    int fd = ((DoubleHandle *)fh)->fd;
    size_t done = 0;
    while (done < size) {
        ssize_t n = write
            ? pwrite(fd, buf + buf_offset + done, size - done, file_offset + (off_t)done)
            : pread(fd, buf + buf_offset + done, size - done, file_offset + (off_t)done);
        if (n < 0) {
            if (errno == EINTR) { continue; }
            return -1;
        }
        if (n == 0) { break; }
        done += (size_t)n;
    }
    return (ssize_t)done;
}

ssize_t cuFileRead(void *fh, void *buf, size_t size, off_t file_offset, off_t buf_offset)
{
    return transfer(fh, buf, size, file_offset, buf_offset, 0);
}

ssize_t cuFileWrite(void *fh, const void *buf, size_t size, off_t file_offset, off_t buf_offset)
{
    return transfer(fh, (char *)buf, size, file_offset, buf_offset, 1);
}

/* ------------------------------------------------------------------ batch API (cuFileBatchIO*)
 * cufile.h (CUDA 12.x): CUfileIOParams_t is {mode; union {struct {devPtr_base, file_offset, devPtr_offset,
 * size} batch}; fh; opcode; cookie} (64 bytes on LP64), CUfileIOEvents_t {cookie; status; ret} (24 bytes).
 * The double does each I/O inside cuFileBatchIOSubmit (pread/pwrite, the fault injection above applies per
 * entry) and hands the results out from cuFileBatchIOGetStatus, at most *nr per call, oldest first.
 */
#include <time.h>

enum { CU_FILE_BATCH_SUBMIT_FAILED = 5035, CU_FILE_BATCH_FULL = 5037 };
enum { CUFILE_READ = 0, CUFILE_WRITE = 1 };
enum { CUFILE_WAITING = 0x1, CUFILE_PENDING = 0x2, CUFILE_INVALID = 0x4, CUFILE_CANCELED = 0x8,
       CUFILE_COMPLETE = 0x10, CUFILE_TIMEOUT = 0x20, CUFILE_FAILED = 0x40 };
enum { CUFILE_BATCH = 1 };

typedef struct CUfileIOParams {
    int mode;
    union {
        struct {
            void *devPtr_base;
            off_t file_offset;
            off_t devPtr_offset;
            size_t size;
        } batch;
    } u;
    void *fh;
    int opcode;
    void *cookie;
} CUfileIOParams_t;

typedef struct CUfileIOEvents {
    void *cookie;
    int status;
    size_t ret;
} CUfileIOEvents_t;

typedef struct DoubleBatch {
    unsigned capacity;
    unsigned done;      /* results waiting to be reaped */
    unsigned head;      /* oldest unreaped result */
    CUfileIOEvents_t *events;
} DoubleBatch;

/* Layout checks: the Java binding writes these offsets. */
_Static_assert(sizeof(CUfileIOParams_t) == 64, "CUfileIOParams_t is 64 bytes on LP64");
_Static_assert(sizeof(CUfileIOEvents_t) == 24, "CUfileIOEvents_t is 24 bytes on LP64");

CUfileError_t cuFileBatchIOSetUp(void **batch_idp, unsigned nr)
{
    if (!driver_open) { return status(CU_FILE_DRIVER_NOT_INITIALIZED); }
    if (batch_idp == NULL || nr == 0 || nr > 128) { return status(CU_FILE_INVALID_VALUE); }
    DoubleBatch *b = calloc(1, sizeof(DoubleBatch));
    if (b == NULL) { return status(CU_FILE_INVALID_VALUE); }
    b->events = calloc(nr, sizeof(CUfileIOEvents_t));
    if (b->events == NULL) { free(b); return status(CU_FILE_INVALID_VALUE); }
    b->capacity = nr;
    *batch_idp = b;
    return status(CU_FILE_SUCCESS);
}

CUfileError_t cuFileBatchIOSubmit(void *batch_idp, unsigned nr, CUfileIOParams_t *iocbp, unsigned int flags)
{
    (void)flags;
    DoubleBatch *b = batch_idp;
    if (!driver_open) { return status(CU_FILE_DRIVER_NOT_INITIALIZED); }
    if (b == NULL || iocbp == NULL) { return status(CU_FILE_INVALID_VALUE); }
    if (b->done + nr > b->capacity) { return status(CU_FILE_BATCH_FULL); }
    for (unsigned i = 0; i < nr; i++) {
        if (iocbp[i].mode != CUFILE_BATCH || (iocbp[i].opcode != CUFILE_READ && iocbp[i].opcode != CUFILE_WRITE)) {
            return status(CU_FILE_BATCH_SUBMIT_FAILED);
        }
    }
    for (unsigned i = 0; i < nr; i++) {
        CUfileIOParams_t *p = &iocbp[i];
        ssize_t n = transfer(p->fh, p->u.batch.devPtr_base, p->u.batch.size, p->u.batch.file_offset,
                             p->u.batch.devPtr_offset, p->opcode == CUFILE_WRITE);
        CUfileIOEvents_t *e = &b->events[(b->head + b->done) % b->capacity];
        e->cookie = p->cookie;
        if (n == -1) { n = -(ssize_t)errno; }
        e->ret = (size_t)n;
        e->status = n < 0 ? CUFILE_FAILED : CUFILE_COMPLETE;
        b->done++;
    }
    return status(CU_FILE_SUCCESS);
}

CUfileError_t cuFileBatchIOGetStatus(void *batch_idp, unsigned min_nr, unsigned *nr, CUfileIOEvents_t *iocbp,
                                     struct timespec *timeout)
{
    (void)timeout;
    DoubleBatch *b = batch_idp;
    if (!driver_open) { return status(CU_FILE_DRIVER_NOT_INITIALIZED); }
    if (b == NULL || nr == NULL || iocbp == NULL || min_nr > *nr) { return status(CU_FILE_INVALID_VALUE); }
    unsigned n = 0;
    while (n < *nr && b->done > 0) {
        iocbp[n++] = b->events[b->head];
        b->head = (b->head + 1) % b->capacity;
        b->done--;
    }
    *nr = n;
    return status(CU_FILE_SUCCESS);
}

CUfileError_t cuFileBatchIOCancel(void *batch_idp)
{
    return batch_idp == NULL ? status(CU_FILE_INVALID_VALUE) : status(CU_FILE_SUCCESS);
}

void cuFileBatchIODestroy(void *batch_idp)
{
    DoubleBatch *b = batch_idp;
    if (b != NULL) { free(b->events); free(b); }
}
