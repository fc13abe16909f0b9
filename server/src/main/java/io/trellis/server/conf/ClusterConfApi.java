package io.trellis.server.conf;

import static io.netty.handler.codec.http.HttpMethod.GET;

import io.trellis.cluster.conf.ConfLog;
import io.trellis.server.api.ApiResponse;
import io.trellis.server.api.Router;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /api/v5/cluster/conf/status} (Trellis-specific: EMQX has this only as the CLI
 * {@code emqx ctl conf cluster_sync status}): each node's last tnx id of the cluster config log,
 * whether it runs and whether it lags, the sequencer this node proposes to, and a divergence if
 * one was seen.
 */
public final class ClusterConfApi {
    private final ConfLog log;

    public ClusterConfApi(ConfLog log) {
        this.log = log;
    }

    public void register(Router router) {
        router.add(GET, "/api/v5/cluster/conf/status", r -> ApiResponse.ok(statusJson(log)));
    }

    static Map<String, Object> statusJson(ConfLog log) {
        List<Map<String, Object>> nodes = new ArrayList<>();
        for (ConfLog.NodeTnx n : log.status()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("node", n.node());
            row.put("tnx_id", n.tnxId());
            row.put("running", n.running());
            row.put("lagging", n.lagging());
            nodes.add(row);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("tnx_id", log.lastTnx());
        out.put("applied_tnx_id", log.appliedTnx());
        out.put("sequencer", log.sequencer().toString());
        out.put("nodes", nodes);
        out.put("lagging", nodes.stream().filter(n -> (Boolean) n.get("lagging")).map(n -> n.get("node")).toList());
        List<Long> pending = log.pending().stream().map(io.trellis.cluster.conf.ConfEntry::tnxId).toList();
        if (!pending.isEmpty()) {
            out.put("pending_tnx_ids", pending); // on disk, waiting for a majority (or a restart's leftover)
        }
        if (log.divergence() != null) {
            out.put("divergence", log.divergence());
        }
        if (log.recovery() != null) {
            out.put("recovery", log.recovery());
        }
        return out;
    }
}
