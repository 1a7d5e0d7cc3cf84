// k6 docs, k6/net/grpc: gRPC is not in the native engine (refused before the run).
import grpc from 'k6/net/grpc';

const client = new grpc.Client();

export default () => {
  client.connect('grpcbin.test.k6.io:9001');
  client.close();
};
