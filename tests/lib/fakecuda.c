/*
 * A stand-in for libcuda.so.1 and libnvidia-ml.so.1, configured by the
 * environment, so detection and preflight can be tested on hosts without a
 * GPU through the same loading path as the real driver:
 *
 *   EP_FAKECUDA_DEVICES="8.6:24576:NVIDIA RTX A5000;9.0:81559:NVIDIA H100"
 *                           compute capability : memory in MiB : name, per device
 *   EP_FAKECUDA_DRIVER=12040     what cuDriverGetVersion reports (default 13000)
 *   EP_FAKECUDA_RELEASE=550.54.14   what NVML reports as the driver version
 *   EP_FAKECUDA_INIT_ERROR=999   make cuInit fail with this code
 *   EP_FAKECUDA_LOG=FILE         append "cuInit" to FILE at each cuInit
 *
 * With no devices cuInit returns CUDA_ERROR_NO_DEVICE, as the driver does.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEV 16

struct fake_dev {
	int major, minor;
	unsigned long long mib;
	char name[128];
};

int cuInit(unsigned int flags);
int cuDriverGetVersion(int *v);
int cuDeviceGetCount(int *n);
int cuDeviceGet(int *dev, int ordinal);
int cuDeviceGetName(char *name, int len, int dev);
int cuDeviceTotalMem_v2(size_t *bytes, int dev);
int cuDeviceGetAttribute(int *v, int attr, int dev);
int cuGetErrorName(int code, const char **s);
int nvmlInit_v2(void);
int nvmlSystemGetDriverVersion(char *s, unsigned int len);
int nvmlShutdown(void);

/* Parse EP_FAKECUDA_DEVICES into `d`; returns the count. */
static int devices(struct fake_dev *d)
{
	const char *s = getenv("EP_FAKECUDA_DEVICES");
	int n = 0;

	while (s && *s && n < MAX_DEV) {
		const char *end = strchr(s, ';');
		size_t len;
		const char *name;
		char *p;

		d[n].major = (int)strtol(s, &p, 10);
		d[n].minor = *p == '.' ? (int)strtol(p + 1, &p, 10) : 0;
		d[n].mib = *p == ':' ? strtoull(p + 1, &p, 10) : 0;
		name = *p == ':' ? p + 1 : NULL;
		if (name && (!end || name < end)) {
			len = end ? (size_t)(end - name) : strlen(name);
		} else {
			name = "Fake GPU";
			len = strlen(name);
		}
		if (len >= sizeof(d[n].name))
			len = sizeof(d[n].name) - 1;
		memcpy(d[n].name, name, len);
		d[n].name[len] = 0;
		n++;
		s = end ? end + 1 : NULL;
	}
	return n;
}

int cuInit(unsigned int flags)
{
	struct fake_dev d[MAX_DEV];
	const char *e = getenv("EP_FAKECUDA_INIT_ERROR");
	const char *log = getenv("EP_FAKECUDA_LOG");
	FILE *f;

	(void)flags;
	if (log && *log && (f = fopen(log, "a"))) {
		fputs("cuInit\n", f);
		fclose(f);
	}
	if (e && *e)
		return (int)strtol(e, NULL, 10);
	return devices(d) ? 0 : 100;
}

int cuDriverGetVersion(int *v)
{
	const char *e = getenv("EP_FAKECUDA_DRIVER");

	*v = e && *e ? (int)strtol(e, NULL, 10) : 13000;
	return 0;
}

int cuDeviceGetCount(int *n)
{
	struct fake_dev d[MAX_DEV];

	*n = devices(d);
	return 0;
}

int cuDeviceGet(int *dev, int ordinal)
{
	struct fake_dev d[MAX_DEV];

	if (ordinal < 0 || ordinal >= devices(d))
		return 101; /* CUDA_ERROR_INVALID_DEVICE */
	*dev = ordinal;
	return 0;
}

int cuDeviceGetName(char *name, int len, int dev)
{
	struct fake_dev d[MAX_DEV];

	if (dev < 0 || dev >= devices(d) || len <= 0)
		return 101;
	snprintf(name, (size_t)len, "%s", d[dev].name);
	return 0;
}

int cuDeviceTotalMem_v2(size_t *bytes, int dev)
{
	struct fake_dev d[MAX_DEV];

	if (dev < 0 || dev >= devices(d))
		return 101;
	*bytes = (size_t)(d[dev].mib << 20);
	return 0;
}

int cuDeviceGetAttribute(int *v, int attr, int dev)
{
	struct fake_dev d[MAX_DEV];

	if (dev < 0 || dev >= devices(d))
		return 101;
	if (attr == 75)
		*v = d[dev].major;
	else if (attr == 76)
		*v = d[dev].minor;
	else
		return 1; /* CUDA_ERROR_INVALID_VALUE */
	return 0;
}

int cuGetErrorName(int code, const char **s)
{
	*s = code == 100   ? "CUDA_ERROR_NO_DEVICE"
	     : code == 35  ? "CUDA_ERROR_INSUFFICIENT_DRIVER"
	     : code == 999 ? "CUDA_ERROR_UNKNOWN"
			   : "CUDA_ERROR_FAKE";
	return 0;
}

int nvmlInit_v2(void)
{
	return 0;
}

int nvmlSystemGetDriverVersion(char *s, unsigned int len)
{
	const char *e = getenv("EP_FAKECUDA_RELEASE");

	snprintf(s, len, "%s", e && *e ? e : "580.65.06");
	return 0;
}

int nvmlShutdown(void)
{
	return 0;
}
