package io.trellis.rules.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/** A minimal MQTT 3.1.1 acceptor on 127.0.0.1 and a random port that records CONNECTs and PUBLISHes. */
public final class FakeMqttBroker implements AutoCloseable {

    public record Connect(String clientId, String username, String password) {
    }

    public record Publish(String topic, String payload, int qos, boolean retain) {
    }

    public final BlockingQueue<Connect> connects = new LinkedBlockingQueue<>();
    public final BlockingQueue<Publish> publishes = new LinkedBlockingQueue<>();
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final ChannelGroup clients = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final Channel server;

    public FakeMqttBroker() throws InterruptedException {
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        clients.add(ch);
                        ch.pipeline().addLast(new MqttDecoder(), MqttEncoder.INSTANCE, new SimpleChannelInboundHandler<MqttMessage>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, MqttMessage msg) {
                                switch (msg.fixedHeader().messageType()) {
                                    case CONNECT -> {
                                        MqttConnectMessage c = (MqttConnectMessage) msg;
                                        byte[] pw = c.payload().passwordInBytes();
                                        connects.add(new Connect(c.payload().clientIdentifier(), c.payload().userName(),
                                                pw == null ? null : new String(pw, StandardCharsets.UTF_8)));
                                        ctx.writeAndFlush(MqttMessageBuilders.connAck()
                                                .returnCode(MqttConnectReturnCode.CONNECTION_ACCEPTED).build());
                                    }
                                    case PUBLISH -> {
                                        MqttPublishMessage p = (MqttPublishMessage) msg;
                                        int qos = p.fixedHeader().qosLevel().value();
                                        publishes.add(new Publish(p.variableHeader().topicName(),
                                                p.payload().toString(StandardCharsets.UTF_8), qos, p.fixedHeader().isRetain()));
                                        if (qos == 1) {
                                            ctx.writeAndFlush(MqttMessageBuilders.pubAck().packetId(p.variableHeader().packetId()).build());
                                        } else if (qos == 2) {
                                            ctx.writeAndFlush(new MqttMessage(new MqttFixedHeader(MqttMessageType.PUBREC, false,
                                                    MqttQoS.AT_MOST_ONCE, false, 0), MqttMessageIdVariableHeader.from(p.variableHeader().packetId())));
                                        }
                                    }
                                    case PUBREL -> {
                                        int id = ((MqttMessageIdVariableHeader) msg.variableHeader()).messageId();
                                        ctx.writeAndFlush(new MqttMessage(new MqttFixedHeader(MqttMessageType.PUBCOMP, false,
                                                MqttQoS.AT_MOST_ONCE, false, 0), MqttMessageIdVariableHeader.from(id)));
                                    }
                                    case PINGREQ -> ctx.writeAndFlush(new MqttMessage(
                                            new MqttFixedHeader(MqttMessageType.PINGRESP, false, MqttQoS.AT_MOST_ONCE, false, 0)));
                                    default -> {
                                    }
                                }
                            }
                        });
                    }
                })
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** Drops every client connection (the bridge should reconnect). */
    public void kickClients() {
        clients.close().awaitUninterruptibly();
    }

    @Override
    public void close() {
        server.close().awaitUninterruptibly();
        clients.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).awaitUninterruptibly();
    }
}
