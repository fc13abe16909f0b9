package io.trellis.cluster.data;

import io.netty.buffer.ByteBuf;
import io.trellis.mqtt.cluster.SessionState;
import java.util.ArrayList;
import java.util.List;

/** The session state of a takeover: str client id | u64 expiry s | u32 n subscriptions | u32 m pending messages. */
final class SessionCodec {
    private SessionCodec() {
    }

    static void write(ByteBuf out, SessionState s, long now) {
        Wire.writeString(out, s.clientId());
        out.writeLong(s.expirySeconds());
        out.writeInt(s.subscriptions().size());
        for (SessionState.SubscriptionState sub : s.subscriptions()) {
            Wire.writeString(out, sub.filter());
            out.writeByte(sub.qos()).writeBoolean(sub.noLocal()).writeBoolean(sub.retainAsPublished())
                    .writeByte(sub.retainHandling()).writeInt(sub.subscriptionId());
        }
        out.writeInt(s.pending().size());
        for (SessionState.PendingMessage p : s.pending()) {
            Wire.writeMessage(out, p.message(), now);
            out.writeByte(p.qos()).writeBoolean(p.retain()).writeInt(p.subscriptionId());
        }
    }

    static SessionState read(ByteBuf in, long now) {
        String clientId = Wire.readString(in);
        long expiry = in.readLong();
        int n = in.readInt();
        List<SessionState.SubscriptionState> subs = new ArrayList<>(Math.min(n, 4096));
        for (int i = 0; i < n; i++) {
            subs.add(new SessionState.SubscriptionState(Wire.readString(in), in.readUnsignedByte(), in.readBoolean(),
                    in.readBoolean(), in.readUnsignedByte(), in.readInt()));
        }
        int m = in.readInt();
        List<SessionState.PendingMessage> pending = new ArrayList<>(Math.min(m, 4096));
        for (int i = 0; i < m; i++) {
            pending.add(new SessionState.PendingMessage(Wire.readMessage(in, now), in.readUnsignedByte(), in.readBoolean(), in.readInt()));
        }
        return new SessionState(clientId, expiry, subs, pending);
    }
}
