// SPDX-License-Identifier: GPL-2.0
/*
 * Test environment of the vfio <-> kvm KUnit suites.
 *
 * A case reaches VFIO and KVM only through their real entry points: the
 * group, container and device ioctls of /dev/vfio, and /dev/kvm, the VM and
 * the kvm-vfio device ioctls.  The device nodes come from a private devtmpfs
 * mount (/dev is not mounted when built-in suites run), ioctl arguments live
 * in user memory of the case's mm, and fds are installed in the files table
 * that KUnit's kthreads share.  Everything is torn down, in an order VFIO
 * and KVM accept, by one KUnit resource when the case ends.
 */
#include <linux/dcache.h>
#include <linux/delay.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/iommu.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/platform_device.h>
#include <linux/sched/mm.h>
#include <linux/uaccess.h>
#include <uapi/linux/kvm.h>
#include <kunit/kunit_reports.h>
#include <kunit/kunit_thread.h>

#include "vfio_kvm_compat.h"
#include "vfio_kvm_env.h"

#define VKT_DRV_NAME	"vfio-kvm-mock"

static char *kvm_mode = "auto";
module_param_named(kvm, kvm_mode, charp, 0444);
MODULE_PARM_DESC(kvm,
	"Which KVM the cases use: auto (a real VM where /dev/kvm works, else a fake one), real (a real VM or fail), fake");

/*
 * ---- the suite is wedged once a thread missed its deadline, or a case -----
 * ---- left the kernel holding freed memory --------------------------------
 */

static atomic_t vkt_wedge = ATOMIC_INIT(0);
static char vkt_wedge_why[160];

bool vkt_wedged(void)
{
	return atomic_read(&vkt_wedge);
}

/*
 * A thread stuck in VFIO or KVM still runs this module's code and uses
 * what the case allocated, and a device that points at a destroyed VM
 * cannot be closed: leak all of it, and pin the module.
 */
void vkt_set_wedged(const char *why)
{
	if (atomic_cmpxchg(&vkt_wedge, 0, 1))
		return;
	strscpy(vkt_wedge_why, why, sizeof(vkt_wedge_why));
	__module_get(THIS_MODULE);
}

void vkt_skip_if_wedged(struct kunit *test)
{
	if (vkt_wedged())
		vkt_skip(test, "an earlier case left VFIO or KVM in a state it cannot undo (%s): locks may be held forever, or memory freed under a driver",
			   vkt_wedge_why);
}

/* ---- the mock platform driver the vfio devices sit on ------------------ */

static int vkt_probe(struct platform_device *pdev)
{
	return 0;
}

static struct platform_driver vkt_driver = {
	.probe = vkt_probe,
	.driver = {
		.name = VKT_DRV_NAME,
	},
};

static bool vkt_driver_registered;

int vkt_suite_init(struct kunit_suite *suite)
{
	int ret = 0;

	if (!vkt_driver_registered)
		ret = vkt_compat_platform_driver_register(&vkt_driver);
	vkt_driver_registered = !ret;
	return ret;
}

void vkt_suite_exit(struct kunit_suite *suite)
{
	/* a wedged case left devices bound to it */
	if (vkt_wedged())
		return;
	platform_driver_unregister(&vkt_driver);
	vkt_driver_registered = false;
}

/*
 * Every case fails on a kernel report printed while it ran, teardown
 * included: a resource allocated first is released last.
 */
static int vkt_watch_init(struct kunit_resource *res, void *context)
{
	res->data = context;
	return 0;
}

static void vkt_watch_free(struct kunit_resource *res)
{
	struct kunit_reports *reports = res->data;

	kunit_expect_no_report(reports->test, reports, "while the case ran");
}

int vkt_case_init(struct kunit *test)
{
	struct kunit_reports *reports = kunit_reports_watch(test);

	test->priv = reports;
	if (!kunit_alloc_resource(test, vkt_watch_init, vkt_watch_free,
				  GFP_KERNEL, reports))
		return -ENOMEM;
	return 0;
}

/* ---- every call of a case into VFIO or KVM has a deadline ----------------- */

/*
 * A case on a kernel that deadlocks must fail, not hang: KUnit cannot stop
 * a case blocked in mutex_lock(), and then never ends.  So the calls that
 * can wait for a VFIO or KVM lock run in a kthread that acts for the case
 * (its mm for ioctl arguments; fds live in the files table all kthreads
 * share), and the case waits VKT_CALL_TIMEOUT seconds for it.  The threads
 * a case starts itself (the race, the release side of the interleaving, the
 * teardown) call directly: whoever waits for them has a deadline.
 */
#define VKT_CALL_TIMEOUT	30

struct vkt_call {
	long (*fn)(struct vkt_call *call);
	struct mm_struct *mm;
	struct file *file;
	unsigned int cmd;
	unsigned long arg;
	void *data;
	long ret;
};

static int vkt_call_main(void *data)
{
	struct vkt_call *call = data;

	kthread_use_mm(call->mm);
	call->ret = call->fn(call);
	kthread_unuse_mm(call->mm);
	mmput(call->mm);
	return 0;
}

static long vkt_call(struct vkt_env *env, const char *what,
		     const struct vkt_call *c)
{
	struct kunit_thread *thread;
	struct vkt_call *call;
	long ret;

	if (current != env->actors[0])
		return c->fn((struct vkt_call *)c);

	call = kmemdup(c, sizeof(*c), GFP_KERNEL);
	if (!call)
		return -ENOMEM;
	if (!mmget_not_zero(env->mm)) {
		kfree(call);
		return -ESRCH;
	}
	call->mm = env->mm;
	thread = kunit_thread_run(vkt_call_main, call, "vkt-call");
	if (IS_ERR(thread)) {
		mmput(env->mm);
		kfree(call);
		return PTR_ERR(thread);
	}
	if (kunit_thread_join(thread, jiffies + VKT_CALL_TIMEOUT * HZ, NULL)) {
		/* the thread still uses @call, the case's files and the module */
		vkt_set_wedged(what);
		KUNIT_FAIL_AND_ABORT(env->test,
				     "deadlock: %s did not return within %u s: a lock it waits for is held by a task that waits for it",
				     what, VKT_CALL_TIMEOUT);
	}
	ret = call->ret;
	kfree(call);
	return ret;
}

static long vkt_call_ioctl(struct vkt_call *call)
{
	return call->file->f_op->unlocked_ioctl(call->file, call->cmd,
						call->arg);
}

static long vkt_ioctl(struct vkt_env *env, const char *what,
		      struct file *file, unsigned int cmd, unsigned long arg)
{
	struct vkt_call call = {
		.fn = vkt_call_ioctl, .file = file, .cmd = cmd, .arg = arg,
	};

	return vkt_call(env, what, &call);
}

/* The last fput of @file, now, and the fput()s its release deferred. */
static long vkt_call_fput(struct vkt_call *call)
{
	if (call->file)
		__fput_sync(call->file);
	flush_delayed_fput();
	return 0;
}

static void vkt_fput(struct vkt_env *env, const char *what, struct file *file)
{
	struct vkt_call call = { .fn = vkt_call_fput, .file = file };

	vkt_call(env, what, &call);
}

static long vkt_call_open(struct vkt_call *call)
{
	struct vkt_env *env = call->data;

	return (long)file_open_root_mnt(env->devtmpfs, (const char *)call->arg,
					O_RDWR, 0);
}

/* ---- files, fds and user memory ----------------------------------------- */

/* Give @file an fd number, keeping our own reference. */
static int vkt_install(struct file *file)
{
	int fd = get_unused_fd_flags(O_CLOEXEC);

	if (fd >= 0)
		fd_install(fd, get_file(file));
	return fd;
}

static void vkt_close_installed(struct vkt_env *env, const char *what,
				int *fd, struct file **file)
{
	if (*fd >= 0)
		close_fd(*fd);
	if (*file)
		vkt_fput(env, what, *file);	/* the last reference */
	*fd = -1;
	*file = NULL;
}

/* Turn an fd a kernel ioctl installed into a file only we hold. */
static struct file *vkt_take_fd(int fd)
{
	struct file *file;

	if (fd < 0)
		return ERR_PTR(fd);
	file = fget(fd);
	close_fd(fd);
	return file ?: ERR_PTR(-EBADF);
}

/* Open /dev/@path: opening a group takes its group_lock. */
struct file *vkt_open_node(struct vkt_env *env, const char *path)
{
	struct vkt_call call = {
		.fn = vkt_call_open, .arg = (unsigned long)path, .data = env,
	};

	return (struct file *)vkt_call(env, "opening a node of the private /dev",
				       &call);
}

void vkt_close_node(struct vkt_env *env, struct file *file)
{
	vkt_fput(env, "the last close of a /dev node", file);
}

/* Each thread that issues ioctls has its own slice of the user page. */
static void __user *vkt_uarg(struct vkt_env *env)
{
	int i;

	for (i = 0; i < VKT_MAX_ACTORS; i++)
		if (env->actors[i] == current)
			return (void __user *)(env->ubuf +
					       i * (PAGE_SIZE / VKT_MAX_ACTORS));
	return NULL;	/* the ioctl then fails with -EFAULT */
}

int vkt_env_enter(struct vkt_env *env, int actor)
{
	if (actor <= 0 || actor >= VKT_MAX_ACTORS || !mmget_not_zero(env->mm))
		return -EINVAL;
	kthread_use_mm(env->mm);
	env->actors[actor] = current;
	return 0;
}

void vkt_env_leave(struct vkt_env *env, int actor)
{
	env->actors[actor] = NULL;
	kthread_unuse_mm(env->mm);
	mmput(env->mm);
}

/* ---- mock vfio devices -------------------------------------------------- */

static struct vkt_open *vkt_find_open(struct vkt_env *env, struct file *file)
{
	int i;

	for (i = 0; i < VKT_MAX_FILES; i++)
		if (env->files[i].file == file)
			return &env->files[i];
	return NULL;
}

static void vkt_track(struct vkt_env *env, struct file *file, bool add)
{
	struct vkt_open *open;

	mutex_lock(&env->files_lock);
	open = vkt_find_open(env, add ? NULL : file);
	if (open) {
		open->file = add ? file : NULL;
		open->vm = NULL;
	}
	mutex_unlock(&env->files_lock);
	WARN_ON_ONCE(add && !open);
}

/* The case added @file to @vm (NULL: removed it from KVM). */
static void vkt_track_vm(struct vkt_env *env, struct file *file,
			 struct vkt_vm *vm)
{
	struct vkt_open *open;

	if (current != env->actors[0])
		return;
	mutex_lock(&env->files_lock);
	open = vkt_find_open(env, file);
	if (open)
		open->vm = vm;
	mutex_unlock(&env->files_lock);
}

static void vkt_dev_report(struct vkt_dev *dev);

const char *vkt_path_name(enum vkt_path path)
{
	return path == VKT_PATH_CDEV ? "cdev" : "group";
}

void vkt_param_desc(const struct vkt_param *param, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "%s-%s", vkt_path_name(param->path),
		 param->b->name);
}

void vkt_path_desc(const enum vkt_path *path, char *desc)
{
	strscpy(desc, vkt_path_name(*path), KUNIT_PARAM_DESC_SIZE);
}

void vkt_skip_unless_path(struct kunit *test, enum vkt_path path)
{
	if (path == VKT_PATH_CDEV && !IS_ENABLED(CONFIG_VFIO_DEVICE_CDEV))
		vkt_skip(test, "no device cdev path: CONFIG_VFIO_DEVICE_CDEV is off or older than 6.6");
}

/* The group path: the group in a type1 container of its own. */
static void vkt_dev_open_group(struct vkt_dev *dev)
{
	struct kunit *test = dev->env->test;
	void __user *uarg = vkt_uarg(dev->env);
	struct iommu_group *iommu_group;
	char path[32];
	long ret;

	iommu_group = iommu_group_get(&dev->pdev->dev);
	KUNIT_ASSERT_NOT_NULL(test, iommu_group);
	snprintf(path, sizeof(path), "vfio/%d", iommu_group_id(iommu_group));
	iommu_group_put(iommu_group);

	dev->group = vkt_open_node(dev->env, path);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(dev->group), "open %s: %ld", path,
			       PTR_ERR(dev->group));
	dev->group_fd = vkt_install(dev->group);
	KUNIT_ASSERT_GE(test, dev->group_fd, 0);

	dev->container = vkt_open_node(dev->env, "vfio/vfio");
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(dev->container),
			       "open vfio/vfio: %ld", PTR_ERR(dev->container));
	dev->container_fd = vkt_install(dev->container);
	KUNIT_ASSERT_GE(test, dev->container_fd, 0);

	KUNIT_ASSERT_EQ(test, put_user(dev->container_fd, (int __user *)uarg), 0);
	ret = vkt_ioctl(dev->env, "VFIO_GROUP_SET_CONTAINER", dev->group,
			VFIO_GROUP_SET_CONTAINER, (unsigned long)uarg);
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "VFIO_GROUP_SET_CONTAINER: %ld", ret);
	ret = vkt_ioctl(dev->env, "VFIO_SET_IOMMU", dev->container,
			VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU);
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "VFIO_SET_IOMMU(TYPE1v2): %ld", ret);
}

/* The cdev path: an iommufd to bind to; the group stays closed. */
static void vkt_dev_open_iommufd(struct vkt_dev *dev)
{
	struct kunit *test = dev->env->test;

	dev->iommufd = vkt_open_node(dev->env, "iommu");
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(dev->iommufd), "open iommu: %ld",
			       PTR_ERR(dev->iommufd));
	dev->iommufd_fd = vkt_install(dev->iommufd);
	KUNIT_ASSERT_GE(test, dev->iommufd_fd, 0);
}

struct vkt_dev *vkt_dev_create(struct vkt_env *env, enum vkt_path path,
			       const struct vkt_mock_behaviour *b,
			       void *dev_set_id)
{
	struct kunit *test = env->test;
	struct platform_device *pdev;
	struct vkt_dev *dev;
	struct vkt_mock *m;
	long ret;

	vkt_skip_unless_path(test, path);
	KUNIT_ASSERT_LT(test, env->nr_devs, VKT_MAX_DEVS);
	dev = &env->devs[env->nr_devs++];
	dev->env = env;
	dev->path = path;
	dev->group_fd = -1;
	dev->container_fd = -1;
	dev->iommufd_fd = -1;

	pdev = platform_device_register_simple(VKT_DRV_NAME, PLATFORM_DEVID_AUTO,
					       NULL, 0);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(pdev),
			       "platform_device_register_simple(): %ld",
			       PTR_ERR(pdev));
	dev->pdev = pdev;
	KUNIT_ASSERT_NOT_NULL_MSG(test, pdev->dev.driver,
				  "%s did not bind to the mock driver",
				  dev_name(&pdev->dev));

	m = vfio_alloc_device(vkt_mock, vdev, &pdev->dev, &vkt_mock_ops);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(m), "vfio_alloc_device(): %ld",
			       PTR_ERR(m));
	vkt_mock_init(m, b);
	dev->mock = m;
	if (dev_set_id) {
		ret = vfio_assign_device_set(&m->vdev, dev_set_id);
		KUNIT_ASSERT_EQ_MSG(test, ret, 0, "vfio_assign_device_set()");
	}
	ret = vfio_register_emulated_iommu_dev(&m->vdev);
	KUNIT_ASSERT_EQ_MSG(test, ret, 0,
			    "vfio_register_emulated_iommu_dev(): %ld", ret);
	dev->registered = true;

	if (path == VKT_PATH_CDEV)
		vkt_dev_open_iommufd(dev);
	else
		vkt_dev_open_group(dev);
	return dev;
}

/* open("/dev/vfio/devices/vfioN"): a device file, not bound yet. */
struct file *vkt_dev_cdev_open(struct vkt_dev *dev)
{
	char path[48];
	struct file *file;

	snprintf(path, sizeof(path), "vfio/devices/%s",
		 dev_name(&dev->mock->vdev.device));
	file = vkt_open_node(dev->env, path);
	if (!IS_ERR(file))
		vkt_track(dev->env, file, true);
	return file;
}

static long vkt_call_bind(struct vkt_call *call)
{
	return vkt_compat_bind_iommufd(call->file, (void __user *)call->arg,
				       call->cmd);
}

/* VFIO_DEVICE_BIND_IOMMUFD: the cdev path's device open. */
int vkt_dev_cdev_bind(struct vkt_dev *dev, struct file *file)
{
	struct vkt_call call = { .fn = vkt_call_bind, .file = file };
	int ret;

	/* a group-path device being bound on purpose: it gets one now */
	if (!dev->iommufd)
		vkt_dev_open_iommufd(dev);
	call.arg = (unsigned long)vkt_uarg(dev->env);
	call.cmd = dev->iommufd_fd;
	ret = vkt_call(dev->env,
		       "VFIO_DEVICE_BIND_IOMMUFD (the device's open: open_device under VFIO's locks)",
		       &call);
	if (!ret)
		dev->bound = file;
	vkt_dev_report(dev);
	return ret;
}

/* Fail the case with what a mock saw, once per mock; from the case only. */
static void vkt_dev_report(struct vkt_dev *dev)
{
	struct vkt_mock *m = dev->mock;
	struct kunit *test = dev->env->test;

	if (current != dev->env->actors[0])
		return;
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&m->violations), 0,
			    "%s mock: driver contract broken: %s",
			    m->b->name, m->violation);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&m->deadlocks), 0,
			    "deadlock: %s", m->deadlock);
	atomic_set(&m->violations, 0);
	atomic_set(&m->deadlocks, 0);
}

/*
 * The real device open path: VFIO_GROUP_GET_DEVICE_FD, or on the cdev path
 * open, KVM_DEV_VFIO_FILE_ADD when a VM is attached, and
 * VFIO_DEVICE_BIND_IOMMUFD.
 */
struct file *vkt_dev_open(struct vkt_dev *dev)
{
	struct vkt_env *env = dev->env;
	const char *name = dev_name(&dev->pdev->dev);
	void __user *uarg = vkt_uarg(env);
	struct vkt_vm *vm = READ_ONCE(dev->attached);
	struct file *file;
	int ret;

	if (dev->path == VKT_PATH_CDEV) {
		file = vkt_dev_cdev_open(dev);
		if (IS_ERR(file))
			return file;
		ret = vm ? vkt_vm_add_file(vm, file) : 0;
		if (!ret)
			ret = vkt_dev_cdev_bind(dev, file);
		if (ret) {
			vkt_dev_close(dev, file);
			return ERR_PTR(ret);
		}
		return file;
	}

	if (copy_to_user(uarg, name, strlen(name) + 1))
		return ERR_PTR(-EFAULT);
	file = vkt_take_fd(vkt_ioctl(env,
				     "VFIO_GROUP_GET_DEVICE_FD (the device's open: open_device under VFIO's locks)",
				     dev->group, VFIO_GROUP_GET_DEVICE_FD,
				     (unsigned long)uarg));
	if (!IS_ERR(file))
		vkt_track(env, file, true);
	vkt_dev_report(dev);
	return file;
}

/* The last fput of a device file: the real device close path. */
void vkt_dev_close(struct vkt_dev *dev, struct file *file)
{
	struct vkt_open *open;
	struct vkt_vm *vm;

	mutex_lock(&dev->env->files_lock);
	open = vkt_find_open(dev->env, file);
	vm = open ? open->vm : NULL;
	mutex_unlock(&dev->env->files_lock);
	if (vm)
		vkt_vm_del_file(vm, file);

	if (dev->bound == file)
		dev->bound = NULL;
	vkt_track(dev->env, file, false);
	vkt_fput(dev->env,
		 "the last close of the device file (close_device under VFIO's locks)",
		 file);
	vkt_dev_report(dev);
}

struct kvm *vkt_dev_kvm(struct vkt_dev *dev)
{
	return READ_ONCE(dev->mock->vdev.kvm);
}

static void vkt_dev_destroy(struct vkt_dev *dev)
{
	struct vkt_env *env = dev->env;

	vkt_close_installed(env, "closing the group", &dev->group_fd,
			    &dev->group);
	vkt_close_installed(env, "closing the container", &dev->container_fd,
			    &dev->container);
	vkt_close_installed(env, "closing the iommufd", &dev->iommufd_fd,
			    &dev->iommufd);
	if (dev->registered)
		vfio_unregister_group_dev(&dev->mock->vdev);
	if (dev->mock)
		vfio_put_device(&dev->mock->vdev);
	if (!IS_ERR_OR_NULL(dev->pdev))
		platform_device_unregister(dev->pdev);
}

/* ---- VMs ---------------------------------------------------------------- */

static enum vkt_kvm_mode vkt_kvm_mode(void)
{
	if (!strcmp(kvm_mode, "real"))
		return VKT_KVM_REAL;
	if (!strcmp(kvm_mode, "fake"))
		return VKT_KVM_FAKE;
	return VKT_KVM_AUTO;
}

const char *vkt_vm_kind(struct vkt_vm *vm)
{
	return vm->real ? "real VM (/dev/kvm)" : "fake struct kvm";
}

static struct vkt_vm *vkt_vm_alloc(struct vkt_env *env)
{
	struct vkt_vm *vm;

	KUNIT_ASSERT_LT(env->test, env->nr_vms, VKT_MAX_VMS);
	vm = &env->vms[env->nr_vms++];
	vm->env = env;
	vm->vm_fd = -1;
	return vm;
}

struct vkt_vm *vkt_vm_create_fake(struct vkt_env *env, unsigned int users)
{
	struct vkt_vm *vm = vkt_vm_alloc(env);
	struct kvm *kvm;

	kvm = kvzalloc(sizeof(*kvm), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(env->test, kvm);
	mutex_init(&kvm->lock);
	refcount_set(&kvm->users_count, users);
	vm->kvm = kvm;
	vm->fake_base = users;
	kunit_info(env->test, "KVM: %s, users_count %u", vkt_vm_kind(vm),
		   users);
	return vm;
}

/* The real VM, or why there is none. */
static long vkt_vm_open_real(struct vkt_env *env, struct vkt_vm *vm)
{
	struct file *kvm_dev;
	int fd;

	kvm_dev = vkt_open_node(env, "kvm");
	if (IS_ERR(kvm_dev))
		return PTR_ERR(kvm_dev);
	fd = vkt_ioctl(env, "KVM_CREATE_VM", kvm_dev, KVM_CREATE_VM, 0);
	vkt_fput(env, "closing /dev/kvm", kvm_dev);
	if (fd < 0)
		return fd;

	/* Keep the fd number: KVM names the VM's debugfs dir after it. */
	vm->vm_fd = fd;
	vm->vm_file = fget(fd);
	if (!vm->vm_file)
		return -EBADF;
	vm->kvm = vm->vm_file->private_data;
	vm->real = true;
	if (!IS_ERR_OR_NULL(vm->kvm->debugfs_dentry))
		vm->debugfs = dget(vm->kvm->debugfs_dentry);
	return 0;
}

/* A VM with a kvm-vfio device, real unless the parameters say otherwise. */
struct vkt_vm *vkt_vm_create(struct vkt_env *env)
{
	enum vkt_kvm_mode mode = vkt_kvm_mode();
	struct kunit *test = env->test;
	struct vkt_vm *vm;
	long ret;

	if (mode == VKT_KVM_FAKE)
		return vkt_vm_create_fake(env, 1);

	vm = vkt_vm_alloc(env);
	ret = vkt_vm_open_real(env, vm);
	if (ret && mode == VKT_KVM_AUTO) {
		env->nr_vms--;
		memset(vm, 0, sizeof(*vm));
		kunit_info(test, "no real VM (/dev/kvm: %ld): using a fake one",
			   ret);
		return vkt_vm_create_fake(env, 1);
	}
	KUNIT_ASSERT_EQ_MSG(test, ret, 0,
			    "real KVM requested (vfio_kvm_kunit.kvm=real) but no VM could be created through /dev/kvm: %ld",
			    ret);

	ret = vkt_vm_create_kvfio(vm);
	KUNIT_ASSERT_EQ_MSG(test, ret, 0,
			    "KVM_CREATE_DEVICE(KVM_DEV_TYPE_VFIO): %ld", ret);
	kunit_info(test, "KVM: %s, users_count %u", vkt_vm_kind(vm),
		   vkt_vm_users(vm));
	return vm;
}

int vkt_vm_create_kvfio(struct vkt_vm *vm)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };
	void __user *uarg = vkt_uarg(vm->env);
	struct file *file;
	int ret;

	if (!vm->real)
		return 0;
	if (copy_to_user(uarg, &cd, sizeof(cd)))
		return -EFAULT;
	ret = vkt_ioctl(vm->env, "KVM_CREATE_DEVICE(KVM_DEV_TYPE_VFIO)",
			vm->vm_file, KVM_CREATE_DEVICE, (unsigned long)uarg);
	if (ret)
		return ret;
	if (copy_from_user(&cd, uarg, sizeof(cd)))
		return -EFAULT;
	file = vkt_take_fd(cd.fd);
	if (IS_ERR(file))
		return PTR_ERR(file);
	vm->kvfio = file;
	return 0;
}

/*
 * KVM_DEV_VFIO_GROUP_ADD/_DEL (KVM_DEV_VFIO_FILE_* since 6.6, same values)
 * with an fd of @file.
 */
static int vkt_vm_set_file(struct vkt_vm *vm, struct file *file, u64 op)
{
	void __user *uarg = vkt_uarg(vm->env);
	struct kvm_device_attr attr = {
		.group = KVM_DEV_VFIO_GROUP,
		.attr = op,
		.addr = (u64)(unsigned long)uarg + sizeof(attr),
	};
	int fd, ret;

	if (!vm->kvfio)
		return -ENODEV;
	fd = vkt_install(file);
	if (fd < 0)
		return fd;
	if (copy_to_user(uarg, &attr, sizeof(attr)) ||
	    put_user(fd, (int __user *)(uarg + sizeof(attr))))
		ret = -EFAULT;
	else
		ret = vkt_ioctl(vm->env,
				op == KVM_DEV_VFIO_GROUP_ADD ?
				"KVM_SET_DEVICE_ATTR(KVM_DEV_VFIO_FILE_ADD)" :
				"KVM_SET_DEVICE_ATTR(KVM_DEV_VFIO_FILE_DEL)",
				vm->kvfio, KVM_SET_DEVICE_ATTR,
				(unsigned long)uarg);
	close_fd(fd);
	return ret;
}

/*
 * What kvm-vfio does to a vfio file for a fake VM: tell VFIO of the VM,
 * or that it is gone and drop the file.
 */
static long vkt_call_fake_set_kvm(struct vkt_call *call)
{
	vfio_file_set_kvm(call->file, call->data);
	if (!call->data) {
		fput(call->file);
		flush_delayed_fput();
	}
	return 0;
}

static int vkt_fake_slot(struct vkt_vm *vm, struct file *file)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(vm->files); i++)
		if (vm->files[i] == file)
			return i;
	return -1;
}

/* KVM_DEV_VFIO_FILE_ADD, or for a fake VM what kvm_vfio_file_add() does. */
int vkt_vm_add_file(struct vkt_vm *vm, struct file *file)
{
	struct vkt_call call = { .fn = vkt_call_fake_set_kvm };
	int i;

	if (vm->real) {
		i = vkt_vm_set_file(vm, file, KVM_DEV_VFIO_GROUP_ADD);
		if (!i)
			vkt_track_vm(vm->env, file, vm);
		return i;
	}
	if (vkt_fake_slot(vm, file) >= 0)
		return -EEXIST;
	i = vkt_fake_slot(vm, NULL);
	if (i < 0)
		return -ENOSPC;
	vm->files[i] = get_file(file);
	call.file = file;
	call.data = vm->kvm;
	vkt_call(vm->env, "vfio_file_set_kvm() of KVM_DEV_VFIO_FILE_ADD", &call);
	vkt_track_vm(vm->env, file, vm);
	return 0;
}

/* KVM_DEV_VFIO_FILE_DEL, or for a fake VM what kvm_vfio_file_del() does. */
int vkt_vm_del_file(struct vkt_vm *vm, struct file *file)
{
	struct vkt_call call = { .fn = vkt_call_fake_set_kvm, .file = file };
	int i;

	vkt_track_vm(vm->env, file, NULL);
	if (vm->real) {
		i = vkt_vm_set_file(vm, file, KVM_DEV_VFIO_GROUP_DEL);
		/* kvm_vfio_file_del()'s fput() of the file, now */
		vkt_fput(vm->env, "the fput()s KVM_DEV_VFIO_FILE_DEL deferred",
			 NULL);
		return i;
	}
	i = vkt_fake_slot(vm, file);
	if (i < 0)
		return -ENOENT;
	vm->files[i] = NULL;
	vkt_call(vm->env, "vfio_file_set_kvm() of KVM_DEV_VFIO_FILE_DEL", &call);
	return 0;
}

/*
 * Attach @vm to what @dev is opened through: its group, or, on the cdev
 * path, each device file opened from now on (before it is bound).
 */
int vkt_vm_attach(struct vkt_vm *vm, struct vkt_dev *dev)
{
	if (dev->path == VKT_PATH_CDEV) {
		WRITE_ONCE(dev->attached, vm);
		return dev->bound ? vkt_vm_add_file(vm, dev->bound) : 0;
	}
	return vkt_vm_add_file(vm, dev->group);
}

/* KVM lets go of the group, or of the device file bound last. */
int vkt_vm_detach(struct vkt_vm *vm, struct vkt_dev *dev)
{
	if (dev->path == VKT_PATH_CDEV) {
		WRITE_ONCE(dev->attached, NULL);
		return dev->bound ? vkt_vm_del_file(vm, dev->bound) : 0;
	}
	return vkt_vm_del_file(vm, dev->group);
}

/*
 * The last close of the kvm-vfio device: kvm_device_release() takes
 * kvm->lock and calls kvm_vfio_release(), which tells VFIO to drop the VM.
 * For a fake VM, the same calls under the same lock.
 */
static long vkt_call_fake_release(struct vkt_call *call)
{
	struct vkt_vm *vm = call->data;
	int i;

	mutex_lock(&vm->kvm->lock);
	for (i = 0; i < ARRAY_SIZE(vm->files); i++) {
		if (!vm->files[i])
			continue;
		vfio_file_set_kvm(vm->files[i], NULL);
		fput(vm->files[i]);
		vm->files[i] = NULL;
	}
	mutex_unlock(&vm->kvm->lock);
	flush_delayed_fput();
	return 0;
}

void vkt_vm_release_kvfio(struct vkt_vm *vm)
{
	struct vkt_call call = { .fn = vkt_call_fake_release, .data = vm };
	struct file *kvfio = vm->kvfio;
	int i;

	for (i = 0; i < vm->env->nr_devs; i++)
		if (READ_ONCE(vm->env->devs[i].attached) == vm)
			WRITE_ONCE(vm->env->devs[i].attached, NULL);
	mutex_lock(&vm->env->files_lock);
	for (i = 0; i < VKT_MAX_FILES; i++)
		if (vm->env->files[i].vm == vm)
			vm->env->files[i].vm = NULL;
	mutex_unlock(&vm->env->files_lock);

	if (vm->real) {
		/* and kvm_vfio_release()'s fput() of the vfio files, now */
		vm->kvfio = NULL;
		vkt_fput(vm->env,
			 "closing the kvm-vfio device (kvm_vfio_release() under &kvm->lock)",
			 kvfio);
		return;
	}
	vkt_call(vm->env, "kvm_vfio_release() of a fake VM under &kvm->lock",
		 &call);
}

/* Close the VM fd. */
void vkt_vm_close(struct vkt_vm *vm)
{
	vkt_close_installed(vm->env, "closing the VM fd", &vm->vm_fd,
			    &vm->vm_file);
}

/* The VM's references (the adapter says which count that is). */
unsigned int vkt_vm_users(struct vkt_vm *vm)
{
	return vkt_compat_kvm_refs(vm->kvm);
}

/*
 * Whether kvm_destroy_vm() ran, seen from the VM's debugfs directory, which
 * it removes: -ENOENT when the VM has none to watch.  The VM itself may be
 * freed: only our reference to the dentry is used.
 */
int vkt_vm_destroyed(struct vkt_vm *vm)
{
	if (!vm->debugfs)
		return -ENOENT;
	return d_unhashed(vm->debugfs) || d_really_is_negative(vm->debugfs);
}

/*
 * The module whose code the VM's destruction calls, as KVM names it: the
 * owner of the VM file's operations (kvm_init() gives the vendor module,
 * kvm_amd or kvm_intel, or on arm64 KVM itself).  NULL when it is built in,
 * when no module can be unloaded, or when the VM is fake.
 */
struct module *vkt_vm_vendor_module(struct vkt_vm *vm)
{
	if (!IS_ENABLED(CONFIG_MODULE_UNLOAD) || !vm->vm_file)
		return NULL;
	return vm->vm_file->f_op->owner;
}

/* The references that keep @mod from being unloaded. */
unsigned int vkt_module_refcount(struct module *mod)
{
#ifdef CONFIG_MODULE_UNLOAD
	return module_refcount(mod);
#else
	return 0;
#endif
}

static void vkt_vm_destroy(struct vkt_vm *vm)
{
	if (vm->real) {
		vkt_vm_release_kvfio(vm);
		vkt_vm_close(vm);
		dput(vm->debugfs);
		return;
	}
	if (!vm->kvm)
		return;
	vkt_vm_release_kvfio(vm);
	/*
	 * Whoever still holds a reference to a fake VM would put it into
	 * kvm_destroy_vm(): leak it instead, the cases report the count.
	 */
	if (refcount_read(&vm->kvm->users_count) == vm->fake_base)
		kvfree(vm->kvm);
}

/* ---- the environment ---------------------------------------------------- */

static int vkt_env_teardown_fn(void *data)
{
	struct vkt_env *env = data;
	int i;

	for (i = 0; i < VKT_MAX_FILES; i++)
		if (env->files[i].file)
			__fput_sync(env->files[i].file);
	for (i = env->nr_vms - 1; i >= 0; i--)
		vkt_vm_destroy(&env->vms[i]);
	/* kvm-vfio's fput() of the group files, deferred in a kthread */
	flush_delayed_fput();
	for (i = env->nr_devs - 1; i >= 0; i--)
		vkt_dev_destroy(&env->devs[i]);
	if (!IS_ERR_OR_NULL(env->devtmpfs))
		mntput(env->devtmpfs);
	return 0;
}

/*
 * Release what the case left, from a kthread of its own: the last fput of
 * a file must run now, and only a kthread can run it synchronously; KUnit
 * may clean up from a task that is none (a module's loader, or 6.1's
 * kernel_init after an assertion).
 */
static void vkt_env_teardown(struct vkt_env *env)
{
	struct kunit_thread *thread;

	if (vkt_wedged()) {
		kunit_info(env->test, "suite wedged: leaving this case's devices, VMs and files behind");
		return;
	}
	thread = kunit_thread_run(vkt_env_teardown_fn, env, "vkt-teardown");
	if (IS_ERR(thread)) {
		vkt_set_wedged("no thread for a case's teardown");
		return;
	}
	if (kunit_thread_join(thread, jiffies + 60 * HZ, NULL)) {
		vkt_set_wedged("a case's teardown blocked for 60 s");
		KUNIT_FAIL(env->test, "deadlock: releasing the case's device files, VMs and vfio devices blocked for 60 s");
		return;
	}
	kfree(env);
}

static int vkt_env_res_init(struct kunit_resource *res, void *context)
{
	res->data = context;
	return 0;
}

static void vkt_env_res_free(struct kunit_resource *res)
{
	vkt_env_teardown(res->data);
}

struct vkt_env *vkt_env_create(struct kunit *test)
{
	struct file_system_type *devtmpfs;
	struct vkt_env *env;

	vkt_skip_if_wedged(test);

	env = kzalloc(sizeof(*env), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, env);
	env->test = test;
	mutex_init(&env->files_lock);
	if (!kunit_alloc_resource(test, vkt_env_res_init, vkt_env_res_free,
				  GFP_KERNEL, env)) {
		kfree(env);
		env = NULL;
	}
	KUNIT_ASSERT_NOT_NULL_MSG(test, env, "kunit_alloc_resource()");

	devtmpfs = get_fs_type("devtmpfs");
	KUNIT_ASSERT_NOT_NULL_MSG(test, devtmpfs, "no devtmpfs");
	env->devtmpfs = vfs_kern_mount(devtmpfs, 0, "devtmpfs", NULL);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(env->devtmpfs),
			       "mount devtmpfs: %ld", PTR_ERR(env->devtmpfs));

	env->ubuf = vkt_compat_user_map(test, PAGE_SIZE);
	KUNIT_ASSERT_NE_MSG(test, env->ubuf, 0, "no user memory for ioctl arguments");
	env->mm = current->mm;
	env->actors[0] = current;
	return env;
}

MODULE_DESCRIPTION("KUnit tests for the VFIO <-> KVM lock order and KVM references");
MODULE_LICENSE("GPL");
