"""The cluster's stored state: pipeline nodes and their channel leases."""
