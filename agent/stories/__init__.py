"""Many stories: online clustering of a feed into stories, batch runs and digests.

from agent.stories import ClusterItem, cluster_articles, bcubed
"""

from __future__ import annotations

from .cluster import ClusterItem, ClusterParams, cluster_articles
from .score import bcubed

__all__ = ["ClusterItem", "ClusterParams", "bcubed", "cluster_articles"]
