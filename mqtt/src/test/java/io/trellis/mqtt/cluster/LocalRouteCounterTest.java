package io.trellis.mqtt.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LocalRouteCounterTest {

    @Test
    void theClusterHearsOnlyTheFirstSubscriberAndTheLastUnsubscriberOfAFilter() {
        List<String> heard = new ArrayList<>();
        ClusterBridge bridge = new ClusterBridge() {
            @Override
            public void routeAdded(String filter) {
                heard.add("+" + filter);
            }

            @Override
            public void routeRemoved(String filter) {
                heard.add("-" + filter);
            }
        };
        LocalRouteCounter counter = new LocalRouteCounter(() -> bridge);
        counter.added("a/#");
        counter.added("a/#");
        counter.added("b");
        counter.removed("a/#");
        assertThat(counter.filters()).containsExactlyInAnyOrder("a/#", "b");
        counter.removed("a/#");
        counter.removed("a/#"); // not there any more: nothing
        assertThat(heard).containsExactly("+a/#", "+b", "-a/#");
        assertThat(counter.filters()).containsExactly("b");
    }
}
