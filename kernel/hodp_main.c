// SPDX-License-Identifier: GPL-2.0
/*
 * hodp module: the "hodp" rdma link type, the list of live devices and the
 * netdev events that drive their ports.
 */
#include <linux/module.h>
#include <rdma/rdma_netlink.h>

#include "hodp.h"
#include "hodp_odp.h"
#include "hodp_pkt.h"

/* Every device this module created and whose dealloc_driver has not yet run. */
static LIST_HEAD(hodp_devices);
static DEFINE_MUTEX(hodp_devices_lock);
/* Serializes link creation so the one-device-per-netdev check cannot race. */
static DEFINE_MUTEX(hodp_add_lock);

void hodp_device_list_add(struct hodp_dev *hdev)
{
	mutex_lock(&hodp_devices_lock);
	list_add_tail(&hdev->list, &hodp_devices);
	mutex_unlock(&hodp_devices_lock);
}

void hodp_device_list_del(struct hodp_dev *hdev)
{
	mutex_lock(&hodp_devices_lock);
	list_del(&hdev->list);
	mutex_unlock(&hodp_devices_lock);
}

/*
 * Unregister every device at module unload.  ib_unregister_driver() cannot be
 * used: an out-of-tree driver owns no rdma_driver_id to select its devices by.
 */
static void hodp_device_remove_all(void)
{
	struct hodp_dev *hdev;

	mutex_lock(&hodp_devices_lock);
	while ((hdev = list_first_entry_or_null(&hodp_devices, struct hodp_dev, list))) {
		/* Keeps the memory alive across the unregister that frees it. */
		get_device(&hdev->ib_dev.dev);
		mutex_unlock(&hodp_devices_lock);
		ib_unregister_device(&hdev->ib_dev);
		put_device(&hdev->ib_dev.dev);
		mutex_lock(&hodp_devices_lock);
	}
	mutex_unlock(&hodp_devices_lock);
}

static int hodp_newlink(const char *ibdev_name, struct net_device *ndev)
{
	int err;

	mutex_lock(&hodp_add_lock);
	err = hodp_device_add(ibdev_name, ndev);
	mutex_unlock(&hodp_add_lock);
	return err;
}

struct rdma_link_ops hodp_link_ops = {
	.type = HODP_LINK_TYPE,
	.newlink = hodp_newlink,
};

static int hodp_netdev_event(struct notifier_block *nb, unsigned long event, void *arg)
{
	struct net_device *ndev = netdev_notifier_info_to_dev(arg);
	struct hodp_dev *hdev;

	hdev = hodp_get_by_netdev(ndev);
	if (!hdev)
		return NOTIFY_DONE;

	switch (event) {
	case NETDEV_UNREGISTER:
		/* RTNL is held here: let go of the netdev's receive path now. */
		hodp_net_detach_locked(hdev);
		ib_unregister_device_queued(&hdev->ib_dev);
		break;
	case NETDEV_UP:
	case NETDEV_DOWN:
	case NETDEV_CHANGE:
		hodp_port_event(hdev, ib_get_curr_port_state(ndev) == IB_PORT_ACTIVE ?
				IB_EVENT_PORT_ACTIVE : IB_EVENT_PORT_ERR);
		break;
	default:
		break;
	}

	ib_device_put(&hdev->ib_dev);
	return NOTIFY_OK;
}

static struct notifier_block hodp_netdev_notifier = {
	.notifier_call = hodp_netdev_event,
};

static int __init hodp_init(void)
{
	int err;

	err = hodp_pkt_init();
	if (err)
		return err;
	err = hodp_engine_init();
	if (err)
		goto err_pkt;
	err = hodp_odp_wq_init();
	if (err)
		goto err_engine;
	err = register_netdevice_notifier(&hodp_netdev_notifier);
	if (err)
		goto err_odp;

	hodp_debugfs_init();
	rdma_link_register(&hodp_link_ops);
	pr_info("loaded\n");
	return 0;

err_odp:
	hodp_odp_wq_exit();
err_engine:
	hodp_engine_exit();
err_pkt:
	hodp_pkt_exit();
	return err;
}

static void __exit hodp_exit(void)
{
	/* No newlink can run once this returns. */
	rdma_link_unregister(&hodp_link_ops);
	hodp_device_remove_all();
	unregister_netdevice_notifier(&hodp_netdev_notifier);
	hodp_debugfs_exit();
	hodp_odp_wq_exit();
	hodp_engine_exit();
	hodp_pkt_exit();
	pr_info("unloaded\n");
}

module_init(hodp_init);
module_exit(hodp_exit);

MODULE_ALIAS_RDMA_LINK(HODP_LINK_TYPE);
MODULE_DESCRIPTION("hodp: software RoCEv2 HCA with HMM on-demand paging");
MODULE_LICENSE("GPL");
