// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Script, console} from "forge-std/Script.sol";
import {ChannelFactory} from "../src/ChannelFactory.sol";
import {TransferRegistry} from "../src/TransferRegistry.sol";
import {ChannelMastercopy} from "../src/channel/ChannelMastercopy.sol";
import {HashlockTransfer} from "../src/transfers/HashlockTransfer.sol";
import {ThreadTransfer} from "../src/transfers/ThreadTransfer.sol";
import {Withdraw} from "../src/transfers/Withdraw.sol";

/// @notice Deploys the contract set with forge alone:
/// `forge script contracts/script/Deploy.s.sol --rpc-url $ETH_RPC_URL --private-key $KEY --broadcast`.
/// The node's `deploy` command does the same from TypeScript (src/contracts-bindings/deploy.ts)
/// and also writes the address book.
contract Deploy is Script {
    function run() external {
        vm.startBroadcast();
        address deployer = msg.sender;
        ChannelMastercopy mastercopy = new ChannelMastercopy();
        ChannelFactory factory = new ChannelFactory(address(mastercopy));
        HashlockTransfer hashlock = new HashlockTransfer();
        Withdraw withdraw = new Withdraw();
        TransferRegistry registry = new TransferRegistry(deployer);
        registry.addTransferDefinition(hashlock.getRegistryInformation());
        registry.addTransferDefinition(withdraw.getRegistryInformation());
        // Added after the others, so that their addresses stay the same.
        ThreadTransfer threadTransfer = new ThreadTransfer();
        registry.addTransferDefinition(threadTransfer.getRegistryInformation());
        vm.stopBroadcast();

        console.log("channelMastercopy", address(mastercopy));
        console.log("channelFactory", address(factory));
        console.log("transferRegistry", address(registry));
        console.log("hashlockTransfer", address(hashlock));
        console.log("withdraw", address(withdraw));
        console.log("threadTransfer", address(threadTransfer));
    }
}
